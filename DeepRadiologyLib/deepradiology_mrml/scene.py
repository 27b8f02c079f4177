"""A MRML scene set up the way Slicer sets up its own, so that nodes save, load and convert.

A bare ``vtkMRMLScene`` looks usable but is not: markups nodes get no storage node (so a saved ``.mrb``
holds the line's name but not its points), there is no colour table for label maps, no selection or
interaction node, and no cache directory to unpack a ``.mrb`` into. Slicer's application does this
set-up at start; outside Slicer (the ``slicer-core`` wheel: tests, CLI, web app) `create_scene` does it.

The scene holds RAS millimetres, as every MRML node does; the core's LPS never enters a scene without
going through `deepradiology_mrml.volumes`, `.segmentations` or `.markups`.
"""

from __future__ import annotations

import tempfile
from typing import Any

__all__ = ["MODULE_LOGICS", "create_scene", "get_scene", "close_scene", "adopt_scene", "module_logic", "in_slicer", "remove_node"]

#: Module logics registered by `create_scene`: name in the application logic -> class name in ``slicer``.
#: Markups registers the markups node and storage classes (without it, lines are not saved);
#: Segmentations registers the closed-surface converters; Units gives lengths their mm unit.
MODULE_LOGICS = {
    "Volumes": "vtkSlicerVolumesLogic",
    "Markups": "vtkSlicerMarkupsLogic",
    "Segmentations": "vtkSlicerSegmentationsModuleLogic",
    "Tables": "vtkSlicerTablesLogic",
    "Plots": "vtkSlicerPlotsLogic",
    "SubjectHierarchy": "vtkSlicerSubjectHierarchyModuleLogic",
    "Units": "vtkSlicerUnitsLogic",
}

# Attribute under which a scene made here keeps its logics alive. VTK keeps a wrapped object's Python
# attributes for as long as the C++ object lives, so logics stay with their scene wherever it is passed.
_KEEP = "_deepradiology_setup"

_default_scene = None


def in_slicer() -> bool:
    """True inside the Slicer application (``slicer.app`` exists), False on the ``slicer-core`` wheel."""
    try:
        import slicer
    except ImportError:
        return False
    return hasattr(slicer, "app") and getattr(slicer, "mrmlScene", None) is not None


def create_scene():
    """A new ``vtkMRMLScene`` with the application logic and module logics Slicer would register.

    Sets up, in this order: the application logic (selection, interaction and crosshair nodes), the
    default colour nodes (``GenericAnatomyColors`` and friends, used by label maps), the module logics
    in `MODULE_LOGICS` (those the installed ``slicer-core`` lacks are skipped), the default slice
    orientation presets, and a remote-IO data manager with a private cache directory so that
    ``vtkMRMLScene.ReadFromMRB`` can unpack bundles.

    Returns:
        vtkMRMLScene: the scene. Its logics live as long as it does; call `close_scene` when done
        with a scene in a long-running process (the logics and the scene reference each other).

    Raises:
        ImportError: when neither Slicer nor the ``slicer-core`` wheel is installed.
    """
    import slicer
    from vtkmodules.vtkCommonCore import vtkCollection

    scene = slicer.vtkMRMLScene()

    crosshair = slicer.vtkMRMLCrosshairNode()
    crosshair.SetCrosshairName("default")
    scene.AddNode(crosshair)

    app_logic = slicer.vtkSlicerApplicationLogic()
    app_logic.SetMRMLScene(scene)
    color_logic = app_logic.GetColorLogic()
    color_logic.SetMRMLScene(scene)
    color_logic.AddDefaultColorNodes()
    # Slicer's application gives the logic (empty) slice and view collections; some module logics
    # iterate over them and crash on a null collection.
    app_logic.SetSliceLogics(vtkCollection())
    app_logic.SetViewLogics(vtkCollection())

    logics: dict[str, Any] = {"Colors": color_logic}
    app_logic.SetModuleLogic("Colors", color_logic)
    for name, class_name in MODULE_LOGICS.items():
        logic_class = getattr(slicer, class_name, None)
        if logic_class is None:  # an older wheel without this module: the bridge does not need it
            continue
        logic = logic_class()
        logic.SetMRMLScene(scene)
        logic.SetMRMLApplicationLogic(app_logic)
        app_logic.SetModuleLogic(name, logic)
        logics[name] = logic

    slicer.vtkMRMLSliceNode.AddDefaultSliceOrientationPresets(scene, True)

    # ReadFromMRB unpacks the bundle into the data-IO manager's cache directory; without one it fails.
    cache = tempfile.TemporaryDirectory(prefix="deepradiology-mrml-cache-")
    remote_io = slicer.vtkMRMLRemoteIOLogic()
    remote_io.SetMRMLScene(scene)
    remote_io.SetMRMLApplicationLogic(app_logic)
    remote_io.GetCacheManager().SetRemoteCacheDirectory(cache.name)
    remote_io.AddDataIOToScene()

    setattr(scene, _KEEP, {"app_logic": app_logic, "logics": logics, "remote_io": remote_io, "cache": cache,
                           "owned": True})
    return scene


def adopt_scene(scene, *, app_logic, logics: dict) -> None:
    """Let `module_logic` find the logics of a scene set up elsewhere (trame-slicer's ``SlicerApp``).

    The scene stays its owner's: `close_scene` will only forget these logics, never clear the scene or
    detach them.

    Args:
        scene: the ``vtkMRMLScene``.
        app_logic: its application logic.
        logics: name ("Markups", "Segmentations", ...) -> registered module logic.
    """
    setattr(scene, _KEEP, {"app_logic": app_logic, "logics": dict(logics), "remote_io": None, "cache": None,
                           "owned": False})


def get_scene():
    """The scene to work in: ``slicer.mrmlScene`` inside Slicer, else one process-wide `create_scene`."""
    global _default_scene
    if in_slicer():
        import slicer

        return slicer.mrmlScene
    if _default_scene is None:
        _default_scene = create_scene()
    return _default_scene


def module_logic(scene, name: str):
    """The module logic registered as ``name`` ("Markups", "Segmentations", ...) for ``scene``.

    Works for scenes made by `create_scene` or handed over with `adopt_scene` and, inside Slicer, for
    ``slicer.mrmlScene``.

    Raises:
        KeyError: when no such logic is registered for this scene.
    """
    setup = getattr(scene, _KEEP, None)
    if setup is not None and name in setup["logics"]:
        return setup["logics"][name]
    if in_slicer():
        import slicer

        if scene is slicer.mrmlScene:
            logic = slicer.app.applicationLogic().GetModuleLogic(name)
            if logic is not None:
                return logic
    raise KeyError(f"no {name!r} module logic is registered for this scene (make it with create_scene())")


def remove_node(scene, node) -> None:
    """Take a data node out of ``scene`` with its display and storage nodes.

    A bare ``scene.RemoveNode`` leaves those helpers behind as orphans that would be saved with the
    scene. Does nothing for None or a node no longer in the scene.
    """
    if node is None or scene.GetNodeByID(node.GetID()) is None:
        return
    helpers = []
    for count, nth in (("GetNumberOfDisplayNodes", "GetNthDisplayNode"),
                       ("GetNumberOfStorageNodes", "GetNthStorageNode")):
        if hasattr(node, count):
            helpers += [getattr(node, nth)(n) for n in range(getattr(node, count)())]
    scene.RemoveNode(node)
    for helper in helpers:
        if helper is not None and scene.GetNodeByID(helper.GetID()) is not None:
            scene.RemoveNode(helper)


def close_scene(scene) -> None:
    """Remove every node and let go of the logics of a scene made by `create_scene`.

    The logics hold references to the scene, so without this a scene made in a long-running process
    (the web app) is never freed. A scene not made by `create_scene` (``slicer.mrmlScene``) is left
    untouched: it belongs to the application; so is a scene handed over with `adopt_scene`.
    """
    global _default_scene
    setup = getattr(scene, _KEEP, None)
    if setup is None:
        return
    delattr(scene, _KEEP)
    if not setup.get("owned", True):  # adopted: the scene and its logics belong to someone else
        return
    scene.Clear(True)
    for logic in setup["logics"].values():
        logic.SetMRMLScene(None)
    if setup["remote_io"] is not None:
        setup["remote_io"].SetMRMLScene(None)
    setup["app_logic"].SetMRMLScene(None)
    if setup["cache"] is not None:
        setup["cache"].cleanup()
    if scene is _default_scene:
        _default_scene = None
