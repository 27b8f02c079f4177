"""Give trame-slicer's scene the module logics the DeepRadiology Logic classes rely on.

trame-slicer's `SlicerApp` sets up its scene much as Slicer does (application logic, colours,
Volumes, Markups, Segmentations, Subject hierarchy), but not the Tables, Plots and Units logics that
`deepradiology_mrml.scene.create_scene` adds for tables of lesions and diameter-over-time plots.
This module registers those, and records every logic under the scene so that
`deepradiology_mrml.scene.module_logic(scene, name)` finds them, as it does for a scene it made.
"""

from __future__ import annotations

__all__ = ["prepare_scene_for_logic"]

#: Name in the application logic -> ``slicer`` class, for logics SlicerApp does not register.
_EXTRA_LOGICS = {"Tables": "vtkSlicerTablesLogic", "Plots": "vtkSlicerPlotsLogic", "Units": "vtkSlicerUnitsLogic"}


def prepare_scene_for_logic(slicer_app) -> dict:
    """Register the missing module logics on ``slicer_app`` and return all of them by name."""
    import slicer

    logics = {
        "Colors": slicer_app.color_logic,
        "Volumes": slicer_app.volumes_logic,
        "Markups": slicer_app.markups_logic._logic,  # the vtkSlicerMarkupsLogic inside trame's wrapper
        "Segmentations": slicer_app.segmentations_logic,
        "SubjectHierarchy": slicer_app.subject_hierarchy_logic,
    }
    for name, class_name in _EXTRA_LOGICS.items():
        logic_class = getattr(slicer, class_name, None)
        if logic_class is not None:
            logics[name] = slicer_app.register_module_logic(logic_class(), logic_name=name)
    _register_with_bridge(slicer_app, logics)
    return logics


def _register_with_bridge(slicer_app, logics: dict) -> None:
    """Let the bridge's ``module_logic(scene, name)`` see these logics.

    The bridge keeps a scene's logics in one attribute of the scene (`deepradiology_mrml.scene._KEEP`);
    a scene it did not make has none, so it is filled in here with the same layout.
    """
    from deepradiology_mrml import scene as bridge_scene

    keep = getattr(bridge_scene, "_KEEP", None)
    if keep is None or getattr(slicer_app.scene, keep, None) is not None:
        return
    setattr(slicer_app.scene, keep, {"app_logic": slicer_app.app_logic, "logics": dict(logics),
                                     "remote_io": _NoRemoteIO(), "cache": _NoCache()})


class _NoRemoteIO:
    """Stands in for the remote-IO logic `close_scene` releases; trame-slicer's scene has none."""

    def SetMRMLScene(self, _scene) -> None:  # noqa: N802 (VTK's name)
        pass


class _NoCache:
    def cleanup(self) -> None:
        pass
