"""Why `create_scene` matters: what a bare ``vtkMRMLScene`` silently gets wrong."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile

from deepradiology_mrml.mrb import save_mrb
from deepradiology_mrml.scene import create_scene, close_scene


def _line_files(scene, path) -> list[str]:
    line = scene.AddNewNodeByClass("vtkMRMLMarkupsLineNode", "L1 long")
    line.AddControlPoint([0.0, 0.0, 0.0])
    line.AddControlPoint([10.0, 0.0, 0.0])
    save_mrb(scene, path)
    return [name for name in zipfile.ZipFile(path).namelist() if name.endswith(".mrk.json")]


def test_a_bare_scene_saves_a_line_without_its_points_but_a_created_scene_keeps_them(tmp_path):
    import slicer

    bare = slicer.vtkMRMLScene()
    assert _line_files(bare, tmp_path / "bare.mrb") == []  # the line's points are silently lost
    created = create_scene()
    try:
        assert _line_files(created, tmp_path / "created.mrb") == ["created/Data/L1 long.mrk.json"]
    finally:
        close_scene(created)


def test_closed_surface_conversion_fails_until_the_segmentations_logic_is_set_up(tmp_path):
    # The converters are registered process-wide the first time a Segmentations logic is made, so the
    # bare case must run in a fresh interpreter.
    script = textwrap.dedent("""
        import numpy as np, slicer
        from deepradiology.image import Image
        from deepradiology_mrml.volumes import image_to_labelmap_node

        def surface_ok(scene):
            labels = Image(np.pad(np.ones((4, 4, 4), np.uint8), 2))
            labelmap = image_to_labelmap_node(scene, labels, "labels")
            segmentation = scene.AddNewNodeByClass("vtkMRMLSegmentationNode")
            slicer.vtkSlicerSegmentationsModuleLogic.ImportLabelmapToSegmentationNode(labelmap, segmentation, "")
            return segmentation.CreateClosedSurfaceRepresentation()

        print("bare", surface_ok(slicer.vtkMRMLScene()))
        from deepradiology_mrml.scene import create_scene
        print("created", surface_ok(create_scene()))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "bare False" in run.stdout and "created True" in run.stdout
