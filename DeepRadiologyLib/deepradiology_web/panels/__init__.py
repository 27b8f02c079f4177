"""The side-bar panels, one per DeepRadiology module, each over that module's shared Logic.

A panel exists only when its module's Logic (``deepradiology_mrml.logic.<module>``) is installed: the
web app never imitates a module it does not have. `available_panels` imports each panel module and
leaves out those whose Logic is missing, saying which.
"""

from __future__ import annotations

import importlib

from .base import Panel, Workspace

__all__ = ["PANELS", "available_panels", "Panel", "Workspace"]

#: (panel module in this package, the Logic module it needs, the panel class), in side-bar order.
PANELS = (
    ("recist", "deepradiology_mrml.logic.recist", "RECISTPanel"),
    ("tracks", "deepradiology_mrml.logic.longitudinal", "TracksPanel"),
    ("retrieval", "deepradiology_mrml.logic.retrieval", "RetrievalPanel"),
    ("cxr", "deepradiology_mrml.logic.cxr", "CXRPanel"),
    ("pancreas", "deepradiology_mrml.logic.pancreas", "PancreasPanel"),
    # not a module of its own: the core DICOM chain (deepradiology.dicom) over DICOMweb (the 'dicom' extra)
    ("pacs", "dicomweb_client", "PacsPanel"),
)


def _missing(name: str, exc: ModuleNotFoundError) -> bool:
    """True when ``exc`` says ``name`` (or a parent package of it) is not installed."""
    missing = exc.name or ""
    return bool(missing) and (name == missing or name.startswith(missing + "."))


def available_panels() -> tuple[list[type], list[str]]:
    """The panel classes whose Logic is installed, and the Logic modules that are not.

    A panel module that fails for any other reason raises: a broken panel must not vanish quietly.
    """
    found, missing = [], []
    for panel_module, logic_module, class_name in PANELS:
        try:
            importlib.import_module(logic_module)
        except ModuleNotFoundError as exc:
            if _missing(logic_module, exc):
                missing.append(logic_module)
                continue
            raise
        try:
            module = importlib.import_module(f"{__name__}.{panel_module}")
        except ModuleNotFoundError as exc:
            if _missing(f"{__name__}.{panel_module}", exc):  # Logic landed, its panel not yet written
                missing.append(f"{__name__}.{panel_module}")
                continue
            raise
        found.append(getattr(module, class_name))
    return found, missing
