"""Follow-ups are compared in axial views side by side (issue 12: Yellow stayed sagittal)."""

from __future__ import annotations

import numpy as np


def _standard_views(scene):
    """The singleton slice/composite nodes and layout node Slicer's application makes at start-up."""
    import slicer

    for view, orientation in (("Red", "Axial"), ("Yellow", "Sagittal"), ("Green", "Coronal")):
        node = slicer.vtkMRMLSliceNode()
        node.AddDefaultSliceOrientationPresets(scene)
        node.SetSingletonTag(view)
        node.SetLayoutName(view)
        node.SetOrientation(orientation)
        scene.AddNode(node)
        composite = slicer.vtkMRMLSliceCompositeNode()
        composite.SetSingletonTag(view)
        composite.SetLayoutName(view)
        scene.AddNode(composite)
    layout = slicer.vtkMRMLLayoutNode()
    layout.SetViewArrangement(3)  # conventional
    scene.AddNode(layout)
    return layout


def test_baseline_and_follow_up_are_shown_axial_side_by_side_at_the_lesion(a_scene):
    from deepradiology.image import Image
    from deepradiology_mrml.views import show_side_by_side
    from deepradiology_mrml.volumes import image_to_volume_node

    layout = _standard_views(a_scene)
    volumes = [image_to_volume_node(a_scene, Image(np.zeros((20, 20, 20), np.float32), spacing=(1.0, 1.0, 1.0)), n)
               for n in ("baseline", "follow-up")]
    used = show_side_by_side(a_scene, [(volumes[0], (1.0, 2.0, 3.0)), (volumes[1], (4.0, 5.0, 6.0))])
    assert used == ["Red", "Yellow"]
    assert layout.GetViewArrangement() == 29  # SlicerLayoutSideBySideView
    yellow = a_scene.GetNodeByID("vtkMRMLSliceNodeYellow")
    # axial: the slice normal (third column of SliceToRAS) is the S axis (it was L-R for sagittal)
    assert abs(abs(yellow.GetSliceToRAS().GetElement(2, 2)) - 1.0) < 1e-6
    assert a_scene.GetNodeByID("vtkMRMLSliceCompositeNodeYellow").GetBackgroundVolumeID() == volumes[1].GetID()
    # the axial slice passes through the follow-up's lesion point (z = 6 mm RAS)
    assert abs(yellow.GetSliceToRAS().GetElement(2, 3) - 6.0) < 1e-6
