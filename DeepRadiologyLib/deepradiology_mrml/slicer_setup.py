"""Inside Slicer only: install the core's pip dependencies when the user first needs them.

The extension ships the ``deepradiology`` and ``deepradiology_mrml`` packages as plain Python files
(see ``DeepRadiologyLib/CMakeLists.txt``), not as an installed distribution, so Slicer's Python does not
know their dependencies. A module calls `ensure_python_dependencies` at the start of the action that
needs them (the Apply button, a Logic's first use), never at import: installing at import would block
Slicer's start-up and install packages for users who never open the module.

- Slicer >= 5.12: ``slicer.packaging.pip_ensure`` (checked in Slicer v5.12.0's
  Base/Python/slicer/packaging.py: ``constraints``, ``prompt_install``, ``skip_in_testing``).
- Older Slicer: the missing requirements are found with ``importlib.metadata`` and installed with
  ``slicer.util.pip_install``.
- torch is never installed by pip here: it comes from the PyTorch extension (``EXTENSION_DEPENDS``),
  whose ``PyTorchUtils`` logic picks the build that fits the machine's GPU.

`REQUIREMENTS` mirrors ``DeepRadiologyLib/pyproject.toml`` (a test keeps them equal).
"""

from __future__ import annotations

import importlib.metadata
import re

from deepradiology.errors import DeepRadiologyError

__all__ = ["REQUIREMENTS", "SLICER_PROVIDES", "requirements_for", "missing_requirements",
           "ensure_python_dependencies", "PROTECTED", "constraints_lines"]

#: pip requirements of the core ("" key) and of each extra, exactly as in pyproject.toml.
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "": ("numpy>=1.24", "scipy>=1.10", "scikit-image>=0.21", "scikit-learn>=1.3", "SimpleITK>=2.3",
         "nibabel>=5", "networkx>=3.1", "pillow>=10", "pydicom>=2.4", "tqdm>=4.60", "jsonschema>=4.0"),
    "torch": ("torch>=2.1", "monai>=1.3"),
    "retrieval": ("faiss-cpu>=1.7",),
    "nnunet": ("nnunetv2>=2.5",),
    "nninteractive": ("nninteractive>=2.6",),
}

#: Packages Slicer (or its PyTorch extension) provides; pip must not replace them inside Slicer.
SLICER_PROVIDES = ("SimpleITK", "torch", "vtk", "slicer-core")

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirements_for(*extras: str) -> list[str]:
    """The core's requirements plus those of ``extras`` ("torch", "retrieval", "nnunet", "nninteractive"),
    without duplicates.

    Raises:
        ValueError: for an unknown extra.
    """
    unknown = [e for e in extras if e not in REQUIREMENTS or e == ""]
    if unknown:
        raise ValueError(f"unknown extras {unknown}; known: {sorted(k for k in REQUIREMENTS if k)}")
    out: list[str] = []
    for key in ("", *extras):
        out.extend(r for r in REQUIREMENTS[key] if r not in out)
    return out


def _name(requirement: str) -> str:
    return _NAME.match(requirement).group(1)


def missing_requirements(requirements: list[str]) -> list[str]:
    """The requirements not satisfied by this Python (version ranges checked when ``packaging`` exists)."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # without packaging, a name check is the best we can do
        Requirement = None
    missing = []
    for text in requirements:
        try:
            version = importlib.metadata.version(_name(text))
        except importlib.metadata.PackageNotFoundError:
            missing.append(text)
            continue
        if Requirement is not None and not Requirement(text).specifier.contains(version, prereleases=True):
            missing.append(text)
    return missing


def _pip_ensure():
    """``slicer.packaging.pip_ensure`` of this Slicer (5.12 and later), or None (5.8, 5.10)."""
    import importlib

    for module_name in ("slicer.packaging", "slicer.pydeps"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, "pip_ensure"):
            return module.pip_ensure
    return None


#: Packages whose installed version pip must keep (Slicer's own builds; an upgrade breaks Slicer).
PROTECTED = ("numpy", "torch", "SimpleITK", "vtk")


def constraints_lines() -> list[str]:
    """``name==version`` for each installed `PROTECTED` package: pip's ``-c`` file that stops a
    transitive upgrade of Slicer's numpy or torch."""
    lines = []
    for name in PROTECTED:
        try:
            lines.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return lines


def _write_constraints() -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix="-deepradiology-constraints.txt", delete=False) as handle:
        handle.write("\n".join(constraints_lines()) + "\n")
        return handle.name


def _ensure_torch() -> None:
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    try:
        import PyTorchUtils
    except ImportError:
        raise DeepRadiologyError("torch is missing: install the PyTorch extension from the Extensions Manager "
                                 "and restart Slicer") from None
    if PyTorchUtils.PyTorchUtilsLogic().installTorch(askConfirmation=True) is None:
        raise DeepRadiologyError("torch was not installed; DeepRadiology's learned models need it")


def ensure_python_dependencies(*extras: str) -> list[str]:
    """Inside Slicer, install whatever the core (and ``extras``) still lacks; return what was asked for.

    Call it from the action that needs the packages (a button), never from ``setup()`` or at import.
    Outside Slicer (the CLI, tests, the web app) the packages come from pip with the project, so this
    only checks and, when something is missing, raises with the pip command to run.

    Inside Slicer the user is asked once, with the list of packages, before anything is installed;
    a decline raises `DeepRadiologyError` (the calling button shows it; nothing else happens). pip
    runs with a constraints file pinning Slicer's installed numpy/torch/SimpleITK/vtk. On 5.12 and
    later ``slicer.packaging.pip_ensure`` installs (with progress) and is told not to skip under
    ``--testing``, so the module tests get scipy and scikit-image; on 5.8/5.10 ``slicer.util.pip_install``.

    Args:
        *extras: "torch" (MONAI; torch itself through the PyTorch extension), "retrieval" (FAISS)
            "nnunet" (nnunetv2, to run an imported nnU-Net v2 / TotalSegmentator model) and/or
            "nninteractive" (RECISTAssist's "model" method through an imported nnInteractive model).

    Returns:
        the requirements that were missing before the call (empty when nothing was to do).

    Raises:
        DeepRadiologyError: outside Slicer when something is missing, when the user declines, or
            when installing fails.
        ValueError: for an unknown extra.
    """
    from .scene import in_slicer

    wanted = requirements_for(*extras)
    missing = missing_requirements(wanted)
    if not missing:
        return []
    if not in_slicer():
        raise DeepRadiologyError("missing Python packages: " + ", ".join(missing)
                                 + f" (run: pip install {' '.join(repr(m) for m in missing)})")
    import slicer

    if "torch" in extras:
        _ensure_torch()
    to_install = [m for m in missing if _name(m) not in SLICER_PROVIDES]
    if not to_install:
        return missing
    question = ("DeepRadiology needs these Python packages, which will be downloaded and installed now "
                "(a few minutes):\n\n" + "\n".join(to_install) + "\n\nInstall them?")
    if not slicer.util.confirmOkCancelDisplay(question, windowTitle="DeepRadiology - Install Python packages"):
        raise DeepRadiologyError("not installed (declined): " + ", ".join(to_install))
    constraints = _write_constraints()
    pip_ensure = _pip_ensure()
    try:
        if pip_ensure is not None:
            from packaging.requirements import Requirement

            pip_ensure([Requirement(r) for r in to_install], constraints=constraints, prompt_install=False,
                       requester="DeepRadiology", skip_in_testing=False)
        else:
            # 5.8/5.10: pip_install(list) passes each item as one pip argument.
            slicer.util.pip_install([*to_install, "-c", constraints])
    except Exception as exc:
        raise DeepRadiologyError(f"installing {', '.join(to_install)} failed: {exc}") from exc
    finally:
        import os

        os.unlink(constraints)
    still = missing_requirements(to_install)
    if still:
        raise DeepRadiologyError("still missing after the install: " + ", ".join(still))
    return missing
