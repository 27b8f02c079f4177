"""PancreasSegment's device: "cuda" is neither offered nor accepted where torch sees no GPU (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest


def test_cuda_is_refused_before_anything_runs_where_there_is_no_gpu(a_scene, monkeypatch):
    from deepradiology import Image, InputError
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic
    from deepradiology_mrml.volumes import image_to_volume_node

    monkeypatch.setattr(PancreasSegmentLogic, "available_devices", staticmethod(lambda: ["cpu"]))
    volume = image_to_volume_node(a_scene, Image(np.full((4, 8, 8), -100, np.int16)), "CT")
    before = a_scene.GetNumberOfNodes()
    with pytest.raises(InputError, match="'cuda' is not available"):
        PancreasSegmentLogic(a_scene).segment(volume, device="cuda")
    assert a_scene.GetNumberOfNodes() == before


def test_the_devices_offered_are_those_torch_sees():
    torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
    from deepradiology_mrml.logic.pancreas import PancreasSegmentLogic

    assert PancreasSegmentLogic.available_devices() == (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
