"""`deepradiology demo` keeps the console for its progress bar: VTK's per-file "Zip: adding" info lines
and Slicer's warnings go to a log in the demo folder, not over the bar."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("slicer", reason="needs the slicer-core wheel (pip install 'deepradiology[mrml]')")


def test_saving_a_scene_prints_nothing_while_vtk_messages_go_to_the_log(tmp_path, capfd):
    from deepradiology import Image
    from deepradiology.cli.demo import _vtk_messages_to
    from deepradiology_mrml.mrb import save_mrb
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.volumes import image_to_volume_node

    def save(name):
        scene = create_scene()
        image_to_volume_node(scene, Image(np.zeros((4, 4, 4), np.int16), spacing=(1.0, 1.0, 1.0)), "v")
        save_mrb(scene, tmp_path / f"{name}.mrb")
        close_scene(scene)

    save("loud")            # without the redirect, VTK prints its archive lines (so this test can fail)
    loud = capfd.readouterr()
    assert "Zip: adding" in loud.out + loud.err
    log = tmp_path / "vtk-messages.log"
    with _vtk_messages_to(log):
        save("quiet")
    quiet = capfd.readouterr()
    assert "Zip: adding" not in quiet.out + quiet.err and "WARN" not in quiet.err
    assert "Zip: adding" in log.read_text()
    save("loud-again")      # the console gets VTK's messages back afterwards
    again = capfd.readouterr()
    assert "Zip: adding" in again.out + again.err
