"""Each module file's own ``<Module>Test`` class, run the way Slicer's self-test would (``runTest``), on
the slicer-core MRML wheel through `slicer_module_harness` (``pytest -m module``).

No ``from __future__ import annotations`` here: the wrapper test's class needs evaluated annotations,
as the module files have."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("slicer", reason="the module tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import slicer_module_harness as harness  # noqa: E402

NEEDS_TORCH = {"PancreasSegment", "CXRTriage"}


@pytest.fixture
def harnessed(monkeypatch):
    import slicer

    monkeypatch.setattr(slicer, "mrmlScene", getattr(slicer, "mrmlScene", None), raising=False)
    harness.install()
    yield
    from deepradiology_mrml.scene import close_scene

    close_scene(slicer.mrmlScene)


@pytest.mark.module
@pytest.mark.slow
@pytest.mark.parametrize("name", harness.MODULE_NAMES)
def test_the_module_s_own_test_class_passes(name, harnessed, tmp_path, monkeypatch):
    if name in NEEDS_TORCH and importlib.util.find_spec("torch") is None:
        pytest.skip("this module's own test needs torch, which is not installed: pip install 'deepradiology[torch]'")
    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "models"))
    module = harness.load_module_file(name)
    test = getattr(module, f"{name}Test")()
    test.runTest()


@pytest.mark.module
def test_the_harness_parameter_wrapper_keeps_typed_values_and_node_references(harnessed):
    import slicer

    @harness.parameterNodeWrapper
    class Parameters:
        volume: slicer.vtkMRMLScalarVolumeNode
        threshold: float = 0.5
        name: str = "x"

    p = Parameters(harness.ScriptedLoadableModuleLogic().getParameterNode())
    assert p.threshold == 0.5 and p.name == "x" and p.volume is None
    volume = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLScalarVolumeNode")
    p.volume, p.threshold = volume, 2.5
    assert p.volume is volume and p.threshold == 2.5


@pytest.mark.module
def test_the_harness_wrapper_keeps_a_union_of_node_types_as_a_node_reference(harnessed):
    import typing

    import slicer

    @harness.parameterNodeWrapper
    class Parameters:
        organs: typing.Optional[typing.Union[slicer.vtkMRMLSegmentationNode, slicer.vtkMRMLLabelMapVolumeNode]]

    p = Parameters(harness.ScriptedLoadableModuleLogic().getParameterNode())
    assert p.organs is None
    for kind in ("vtkMRMLSegmentationNode", "vtkMRMLLabelMapVolumeNode"):
        node = slicer.mrmlScene.AddNewNodeByClass(kind)
        p.organs = node
        assert p.organs is node
    p.organs = None
    assert p.organs is None
