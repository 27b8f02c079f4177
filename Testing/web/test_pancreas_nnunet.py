"""The web pancreas panel with an imported nnU-Net v2 model (issue 14): the button is offered, the panel's
worker (the CLI out of process, as in the app) segments the CT on screen, and the result names the model and
its licence. In-process on a real MRML scene and trame state (`inprocess`), on the app's own default case; the
model folder is made by nnunetv2's own code with random weights."""

from __future__ import annotations

import numpy as np
import pytest

from .conftest import TEST_PHANTOM_SPACING
from .inprocess import make_workspace

pytest.importorskip("slicer", reason="the panel tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")
pytest.importorskip("trame", reason="the panel tests need trame (pip install 'deepradiology[web]')")

pytestmark = pytest.mark.slow


def test_the_panel_segments_the_ct_on_screen_with_an_imported_nnunet_model(a_quick_nnunet_folder, tmp_path,
                                                                            monkeypatch):
    from deepradiology.frames import parse_point
    from deepradiology.models.external import import_external
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.segmentations import segmentation_to_labelmap
    from deepradiology_web.default_data import embedded_default_case
    from deepradiology_web.panels.pancreas import PancreasPanel

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))   # the worker subprocess reads it too
    import_external(a_quick_nnunet_folder, name="nn-web", licence="random test weights (CC0)")
    case = embedded_default_case(tmp_path / "case", spacing=tuple(parse_point(TEST_PHANTOM_SPACING)))
    scene = create_scene()
    try:
        ws, _ = make_workspace(scene, case)
        panel = PancreasPanel(ws)
        ws.state.ready()
        assert ws.state.pancreas_models == ["nn-web"] and ws.state.pancreas_model == "nn-web"
        assert "random test weights (CC0)" in ws.state.pancreas_model_info
        ws.studies.show(ws.studies.studies[0])
        panel.segment()
        assert ws.jobs.error == ""
        result = ws.state.pancreas_result
        assert "model nn-web" in result and "licence: random test weights (CC0)" in result
        (segmentation,) = [node for node in (scene.GetNthNodeByClass(i, "vtkMRMLSegmentationNode") for i in
                                             range(scene.GetNumberOfNodesByClass("vtkMRMLSegmentationNode")))
                           if node.GetName().endswith(" pancreas")]
        ct_node = ws.studies.studies[0].node
        pancreas = segmentation_to_labelmap(segmentation, ct_node, segment_names=["pancreas"]).array > 0
        shown = float(result.split("Pancreas volume ", 1)[1].split(" mL", 1)[0])
        voxel_ml = float(np.prod(ct_node.GetSpacing())) / 1000.0
        assert pancreas.any() and shown == pytest.approx(pancreas.sum() * voxel_ml, abs=0.05)
        assert ws.viewer.overlays[-1] is not None   # the probability map is laid over the slices
    finally:
        close_scene(scene)


@pytest.mark.browser
def test_in_the_browser_a_model_imported_while_the_app_runs_gives_the_button_and_a_named_result(
        a_quick_nnunet_folder, a_browser, tmp_path, monkeypatch):
    from deepradiology.models.external import import_external

    from .conftest import open_panel, open_tab, save_screenshot, start_server

    cache = tmp_path / "cache"
    server = start_server("--phantom-spacing", TEST_PHANTOM_SPACING, "--max-tabs", "2", "--tab-timeout", "5",
                          env={"DEEPRADIOLOGY_MODELS": str(cache)})
    try:
        page = open_tab(a_browser, server.url)
        open_panel(page, "pancreas")
        assert "No pancreas model installed" in page.locator("#pancreas-howto").inner_text()
        assert page.locator("#pancreas-run").count() == 0
        # Imported while the app runs (as `deepradiology models import` in another terminal would).
        monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(cache))
        import_external(a_quick_nnunet_folder, name="nn-browser", licence="random test weights (CC0)")
        open_panel(page, "recist")
        open_panel(page, "pancreas")                  # opening the tab reads the model cache again
        page.locator("#pancreas-run").wait_for(state="visible", timeout=30_000)
        assert "random test weights (CC0)" in page.locator("#pancreas-model-info").inner_text()
        page.locator("#pancreas-run").click()
        page.wait_for_function("() => (document.querySelector('#pancreas-result')?.innerText || '')"
                               ".includes('Pancreas volume')", timeout=300_000)
        result = page.locator("#pancreas-result").inner_text()
        assert "model nn-browser" in result and "licence: random test weights (CC0)" in result
        save_screenshot(page, "_pancreas-nnunet")
        page.close()
    finally:
        server.stop()
