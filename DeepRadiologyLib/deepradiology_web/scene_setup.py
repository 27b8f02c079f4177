"""Give trame-slicer's scene the module logics the DeepRadiology Logic classes rely on.

trame-slicer's `SlicerApp` sets up its scene much as Slicer does (application logic, colours,
Volumes, Markups, Segmentations, Subject hierarchy), but not the Tables, Plots and Units logics that
`deepradiology_mrml.scene.create_scene` adds for tables of lesions and diameter-over-time plots
(without the Tables logic, for instance, a table node saved with the scene loses its column types).
"""

from __future__ import annotations

__all__ = ["prepare_scene_for_logic"]

#: Name in the application logic -> ``slicer`` class, for logics SlicerApp does not register.
_EXTRA_LOGICS = {"Tables": "vtkSlicerTablesLogic", "Plots": "vtkSlicerPlotsLogic", "Units": "vtkSlicerUnitsLogic"}


def prepare_scene_for_logic(slicer_app) -> dict:
    """Register the module logics SlicerApp lacks; returns them by name (they live with ``slicer_app``)."""
    import slicer

    added = {}
    for name, class_name in _EXTRA_LOGICS.items():
        logic_class = getattr(slicer, class_name, None)
        if logic_class is not None and slicer_app.app_logic.GetModuleLogic(name) is None:
            added[name] = slicer_app.register_module_logic(logic_class(), logic_name=name)
    slicer_app.deepradiology_logics = added  # keep the Python references alive with the app
    return added
