# DeepRadiology: two commands set everything up on a fresh machine.
#   make test   creates .venv, installs the pinned packages (nnunetv2 among them, without timm/torchvision: see
#               requirements/peer-nodeps.txt) and Chromium for browser tests, builds .venv-interop
#               (nnunetv2/torchxrayvision/nnInteractive beside torch 2.14.1, for Testing/interop), runs pytest
#   make demo   runs every tool on the embedded default patient (outputs and a .mrb scene in demo-output/),
#               then serves the web app (deepradiology serve) on it and prints its URL

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
DEMO_ARGS ?= --port 8080

.PHONY: test demo venv clean help

help:
	@echo "make test   - install everything into $(VENV) and run all tests"
	@echo "make demo   - run the tools on the embedded default patient (demo-output/), then serve the web app and print its URL"

$(STAMP): requirements/lock.txt requirements/peer-nodeps.txt DeepRadiologyLib/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps -r requirements/peer-nodeps.txt
	$(PY) -m pip install --quiet --no-deps -e DeepRadiologyLib
	touch $(STAMP)

venv: $(STAMP)

test: venv
	bash Testing/install-browser.sh
	bash Testing/install-dicom-tools.sh
	bash Testing/install-interop.sh
	QT_QPA_PLATFORM=offscreen VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow \
		$(PY) -m pytest Testing $(PYTEST_ARGS)

demo: venv
	$(VENV)/bin/deepradiology demo -o demo-output --force
	VTK_DEFAULT_OPENGL_WINDOW=vtkEGLRenderWindow $(VENV)/bin/deepradiology serve $(DEMO_ARGS)

clean:
	rm -rf $(VENV) .venv-interop demo-output
