"""The scene set-up: logics registered, default nodes present, nothing leaks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from deepradiology_mrml.scene import MODULE_LOGICS, close_scene, create_scene, get_scene, in_slicer, module_logic


def test_a_created_scene_has_the_module_logics_the_bridge_relies_on(a_scene):
    for name in ("Volumes", "Markups", "Segmentations", "Tables", "Plots", "Colors"):
        assert module_logic(a_scene, name).GetMRMLScene() is a_scene
    assert set(MODULE_LOGICS) >= {"Volumes", "Markups", "Segmentations", "Tables", "Plots"}
    with pytest.raises(KeyError, match="Sequences"):
        module_logic(a_scene, "Sequences")


def test_a_created_scene_has_colour_tables_a_selection_node_and_mm_lengths(a_scene):
    assert a_scene.GetNodeByID("vtkMRMLColorTableNodeLabels") is not None
    selection = a_scene.GetFirstNodeByClass("vtkMRMLSelectionNode")
    assert selection is not None
    assert a_scene.GetNodeByID(selection.GetUnitNodeID("length")).GetSuffix() == "mm"


def test_outside_slicer_get_scene_gives_one_shared_created_scene():
    assert not in_slicer()
    scene = get_scene()
    assert get_scene() is scene
    assert module_logic(scene, "Markups") is not None
    close_scene(scene)
    assert get_scene() is not scene


def test_closing_a_scene_removes_its_nodes_and_releases_its_logics():
    scene = create_scene()
    scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "CT")
    close_scene(scene)
    assert scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == 0
    with pytest.raises(KeyError):
        module_logic(scene, "Markups")


def test_importing_the_bridge_package_loads_neither_slicer_nor_vtk():
    code = "import sys, deepradiology_mrml, deepradiology_mrml.logic; print(sorted(m for m in ('slicer', 'vtk', 'vtkmodules') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_an_adopted_scene_finds_its_owners_logics_and_is_not_cleared_on_close():
    import slicer

    from deepradiology_mrml.scene import adopt_scene

    scene = slicer.vtkMRMLScene()
    app_logic = slicer.vtkSlicerApplicationLogic()
    app_logic.SetMRMLScene(scene)
    markups = slicer.vtkSlicerMarkupsLogic()
    markups.SetMRMLScene(scene)
    adopt_scene(scene, app_logic=app_logic, logics={"Markups": markups})
    assert module_logic(scene, "Markups") is markups
    scene.AddNewNodeByClass("vtkMRMLScalarVolumeNode", "CT")
    close_scene(scene)
    assert scene.GetNumberOfNodesByClass("vtkMRMLScalarVolumeNode") == 1
    assert markups.GetMRMLScene() is scene
    with pytest.raises(KeyError):
        module_logic(scene, "Markups")
