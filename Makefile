# DeepRadiology: two commands set everything up on a fresh machine.
#   make test   creates .venv, installs the pinned packages (and Chromium for browser tests), runs pytest
#   make demo   runs the main job on the embedded default and prints where its outputs are

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: test demo venv clean help

help:
	@echo "make test   - install everything into $(VENV) and run all tests"
	@echo "make demo   - run DeepRadiology on the embedded default patient and print where the outputs are"

$(STAMP): requirements/lock.txt DeepRadiologyLib/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps -e DeepRadiologyLib
	touch $(STAMP)

venv: $(STAMP)

test: venv
	bash Testing/install-browser.sh
	QT_QPA_PLATFORM=offscreen VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow \
		$(PY) -m pytest Testing $(PYTEST_ARGS)

demo: venv
	VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow $(VENV)/bin/deepradiology demo

clean:
	rm -rf $(VENV) demo-output
