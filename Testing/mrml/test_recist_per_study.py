"""RECISTAssist in a patient's scene (issues 11.3 and 12): a lesion table per study, one record per lesion,
edits that re-measure, undo of the last action, study-only views, and helper markups nobody sees or saves.

Expected values come from the phantom's truth (each planted lesion's axes, key slice, volume and label
map), never from the Logic.
"""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.frames import lps_to_ras


def _click(truth):
    return lps_to_ras(np.asarray(truth["centre_lps"]))


def _filed_volume(scene, study, patient_item, name):
    from deepradiology_mrml.volumes import image_to_volume_node

    sh = scene.GetSubjectHierarchyNode()
    volume = image_to_volume_node(scene, study.ct, f"{name} CT")
    study_item = sh.CreateStudyItem(patient_item, name)
    item = sh.GetItemByDataNode(volume) or sh.CreateItem(study_item, volume)
    sh.SetItemParent(item, study_item)
    return volume, study_item


@pytest.fixture
def two_studies(a_scene, a_coarse_phantom_patient):
    sh = a_scene.GetSubjectHierarchyNode()
    patient = sh.CreateSubjectItem(sh.GetSceneItemID(), "phantom patient")
    return [(_filed_volume(a_scene, s, patient, name), s)
            for s, name in zip(a_coarse_phantom_patient.studies[:2], ("baseline", "follow-up"))]


def _segment_names(segmentation_node):
    seg = segmentation_node.GetSegmentation()
    return [seg.GetNthSegment(n).GetName() for n in range(seg.GetNumberOfSegments())]


def _dice(a, b):
    return 2 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


def test_each_study_gets_its_own_lesion_table_named_after_it_and_filed_under_it(a_scene, two_studies):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.logic.recist_study import study_table
    from deepradiology_mrml.tables import table_to_lesions, table_to_records

    sh = a_scene.GetSubjectHierarchyNode()
    logic = RECISTAssistLogic(a_scene)
    ((base, base_item), base_study), ((follow, follow_item), follow_study) = two_studies
    a = logic.measure(base, _click(base_study.lesions[0]), propagate=False)
    b = logic.measure(follow, _click(follow_study.lesions[0]), propagate=False)
    c = logic.measure(base, _click(base_study.lesions[1]), propagate=False)
    base_table, follow_table = logic.table_for(base), logic.table_for(follow)
    assert base_table is not follow_table
    assert base_table.GetName() == "baseline RECIST lesions" and follow_table.GetName() == "follow-up RECIST lesions"
    assert [r["lesion"] for r in table_to_records(base_table)] == [a.lesion_id, c.lesion_id]
    assert [r["lesion"] for r in table_to_records(follow_table)] == [b.lesion_id]
    assert [les.lesion_id for les in table_to_lesions(follow_table)] == [b.lesion_id]
    assert _segment_names(logic.segmentation_for(base)) == [a.lesion_id, c.lesion_id]
    assert _segment_names(logic.segmentation_for(follow)) == [b.lesion_id]
    # under the study in the subject hierarchy: table, masks and lines
    for node in (base_table, logic.segmentation_for(base), a_scene.GetFirstNodeByName(f"{a.lesion_id} long")):
        assert sh.GetItemParent(sh.GetItemByDataNode(node)) == base_item
    assert sh.GetItemParent(sh.GetItemByDataNode(follow_table)) == follow_item
    assert study_table(a_scene, base) is base_table and study_table(a_scene, follow) is follow_table


def test_measuring_a_listed_lesion_again_updates_its_record_and_undo_gives_the_old_one_back(a_scene, two_studies):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.tables import table_to_records

    ((volume, _item), study), _ = two_studies
    truth = max(study.lesions, key=lambda t: t["volume_ml"])
    logic = RECISTAssistLogic(a_scene)
    first = logic.measure(volume, _click(truth))
    first_long = first.long_axis_mm
    lines_before = a_scene.GetNumberOfNodesByClass("vtkMRMLMarkupsLineNode")
    # a second click on the same lesion, off its centre and on another slice of it
    inside = np.argwhere(study.lesions_map.array == truth["label"])           # (k, j, i)
    off = inside[np.argmax(np.abs(inside[:, 0] - truth["key_slice"]) * 100 - np.abs(inside[:, 1:]
                           - np.median(inside[:, 1:], axis=0)).sum(axis=1))]
    assert off[0] != truth["key_slice"]
    again = logic.measure(volume, lps_to_ras(study.ct.index_to_lps([off[2], off[1], off[0]])))
    assert logic.last_action == "updated" and again.lesion_id == first.lesion_id
    assert [r["lesion"] for r in table_to_records(logic.table_for(volume))] == [first.lesion_id]
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLMarkupsLineNode") == lines_before
    assert _segment_names(logic.segmentation_for(volume)) == [first.lesion_id]
    assert again.long_axis_mm == pytest.approx(truth["long_axis_mm"], abs=max(1.6, 0.07 * truth["long_axis_mm"]))
    # another lesion is another record
    other = next(t for t in study.lesions if t["label"] != truth["label"])
    logic.measure(volume, _click(other))
    assert logic.last_action == "added" and len(table_to_records(logic.table_for(volume))) == 2
    assert logic.undo_last().endswith("removed")
    assert logic.undo_last() == f"{first.lesion_id}: re-measurement undone"
    assert table_to_records(logic.table_for(volume))[0]["long mm"] == pytest.approx(first_long, abs=0.01)
    logic.undo_last()
    assert table_to_records(logic.table_for(volume)) == []
    assert a_scene.GetNumberOfNodesByClass("vtkMRMLMarkupsLineNode") == 0


def test_lines_dragged_onto_another_lesion_re_measure_its_mask_and_volume(a_scene, two_studies):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.markups import set_line_lps
    from deepradiology_mrml.segmentations import segmentation_to_labelmap
    from deepradiology_mrml.tables import table_to_records

    ((volume, _item), study), _ = two_studies
    small, large = sorted(study.lesions, key=lambda t: t["volume_ml"])[-2:]
    logic = RECISTAssistLogic(a_scene)
    lesion = logic.measure(volume, _click(small))
    measured_long = lesion.long_axis_mm
    long_node = a_scene.GetFirstNodeByName(f"{lesion.lesion_id} long")
    short_node = a_scene.GetFirstNodeByName(f"{lesion.lesion_id} short")
    # the radiologist drags the endpoints onto the larger lesion's true axes (as four endpoint drags)
    set_line_lps(long_node, large["long_axis_lps"])
    set_line_lps(short_node, large["short_axis_lps"])
    row = table_to_records(logic.table_for(volume))[0]
    assert row["long mm"] == pytest.approx(large["long_axis_mm"], abs=0.01)      # lengths follow at once
    edited = logic.update_from_lines(lesion.lesion_id, remask=True)              # the drag ends
    assert edited.slice_index == large["key_slice"]
    assert edited.volume_ml == pytest.approx(large["volume_ml"], rel=0.2)
    labels = segmentation_to_labelmap(logic.segmentation_for(volume), volume).array > 0
    assert _dice(labels, study.lesions_map.array == large["label"]) > 0.7
    assert table_to_records(logic.table_for(volume))[0]["volume mL"] == pytest.approx(edited.volume_ml, abs=1e-3)
    assert logic.undo_last() == f"{lesion.lesion_id}: edit undone"
    labels = segmentation_to_labelmap(logic.segmentation_for(volume), volume).array > 0
    assert _dice(labels, study.lesions_map.array == small["label"]) > 0.7
    assert table_to_records(logic.table_for(volume))[0]["long mm"] == pytest.approx(measured_long, abs=0.01)


def _standard_views(scene):
    import slicer

    for view in ("Red", "Yellow"):
        node = slicer.vtkMRMLSliceNode()
        node.SetSingletonTag(view)
        node.SetLayoutName(view)
        scene.AddNode(node)
        composite = slicer.vtkMRMLSliceCompositeNode()
        composite.SetSingletonTag(view)
        composite.SetLayoutName(view)
        scene.AddNode(composite)
    view3d = slicer.vtkMRMLViewNode()
    view3d.SetSingletonTag("1")
    view3d.SetLayoutName("1")
    scene.AddNode(view3d)


def _composite(scene, view):
    for n in range(scene.GetNumberOfNodesByClass("vtkMRMLSliceCompositeNode")):
        node = scene.GetNthNodeByClass(n, "vtkMRMLSliceCompositeNode")
        if node.GetLayoutName() == view:
            return node
    raise AssertionError(view)


def _slice_id(scene, view):
    for n in range(scene.GetNumberOfNodesByClass("vtkMRMLSliceNode")):
        node = scene.GetNthNodeByClass(n, "vtkMRMLSliceNode")
        if node.GetLayoutName() == view:
            return node.GetID()
    raise AssertionError(view)


def test_lines_and_masks_are_drawn_only_in_the_views_showing_their_study(a_scene, two_studies):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic

    _standard_views(a_scene)
    ((base, _), base_study), ((follow, _), follow_study) = two_studies
    _composite(a_scene, "Red").SetBackgroundVolumeID(base.GetID())
    _composite(a_scene, "Yellow").SetBackgroundVolumeID(follow.GetID())
    red, yellow = _slice_id(a_scene, "Red"), _slice_id(a_scene, "Yellow")
    logic = RECISTAssistLogic(a_scene)
    a = logic.measure(base, _click(base_study.lesions[0]), propagate=False)
    b = logic.measure(follow, _click(follow_study.lesions[0]), propagate=False)

    def shown(node, view):
        return node.GetDisplayNode().IsDisplayableInView(view)

    a_line, b_line = (a_scene.GetFirstNodeByName(f"{x.lesion_id} long") for x in (a, b))
    assert shown(a_line, red) and not shown(a_line, yellow)
    assert shown(b_line, yellow) and not shown(b_line, red)
    assert shown(logic.segmentation_for(base), red) and not shown(logic.segmentation_for(base), yellow)
    assert shown(a_line, "vtkMRMLViewNode1")                 # 3D views show no particular study
    # the user puts the follow-up in the Red view too: its lesion appears there, the baseline's goes
    _composite(a_scene, "Red").SetBackgroundVolumeID(follow.GetID())
    assert shown(b_line, red) and not shown(a_line, red)
    assert not shown(logic.segmentation_for(base), red)
    # a layout with a third view that shows the baseline: the baseline's lesion is drawn there
    import slicer

    green = slicer.vtkMRMLSliceNode()
    green.SetSingletonTag("Green")
    green.SetLayoutName("Green")
    a_scene.AddNode(green)
    composite = slicer.vtkMRMLSliceCompositeNode()
    composite.SetSingletonTag("Green")
    composite.SetLayoutName("Green")
    composite.SetBackgroundVolumeID(base.GetID())
    a_scene.AddNode(composite)
    assert shown(a_line, green.GetID()) and not shown(b_line, green.GetID())
    logic.close()


def test_add_measured_lesions_takes_only_the_chosen_volume_s_lesions(a_scene, two_studies, tmp_path):
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic

    ((base, _), base_study), ((follow, _), follow_study) = two_studies
    logic = RECISTAssistLogic(a_scene)
    for truth in base_study.lesions[:2]:
        logic.measure(base, _click(truth), propagate=False)
    logic.measure(follow, _click(follow_study.lesions[0]), propagate=False)
    retrieval = LesionRetrievalLogic(a_scene, tmp_path / "lesions.sqlite", create=True)
    try:
        assert retrieval.add_measured_lesions(base, patient="P", study="baseline").added == 2
        assert retrieval.add_measured_lesions(follow, patient="P", study="follow-up").added == 1
    finally:
        retrieval.close()


def test_helper_markups_are_hidden_from_the_user_and_not_saved(a_scene, tmp_path):
    from deepradiology_mrml.helper_markups import clear_helper, helper_node
    from deepradiology_mrml.mrb import load_mrb, save_mrb
    from deepradiology_mrml.scene import close_scene, create_scene

    click = helper_node(a_scene, "vtkMRMLMarkupsFiducialNode", "RECIST click", max_points=1)
    box = helper_node(a_scene, "vtkMRMLMarkupsROINode", "RECIST box")
    assert helper_node(a_scene, "vtkMRMLMarkupsFiducialNode", "RECIST click") is click      # made once
    click.AddControlPoint([1.0, 2.0, 3.0])
    box.AddControlPoint([1.0, 2.0, 3.0])
    for node in (click, box, click.GetDisplayNode(), box.GetDisplayNode()):
        assert node.GetHideFromEditors() and not node.GetSaveWithScene()
    kept = a_scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "a point the user placed")
    kept.AddControlPoint([0.0, 0.0, 0.0])
    save_mrb(a_scene, tmp_path / "scene.mrb")
    loaded = create_scene()
    try:
        load_mrb(tmp_path / "scene.mrb", scene=loaded)
        assert loaded.GetFirstNodeByName("a point the user placed") is not None
        assert loaded.GetFirstNodeByName("RECIST click") is None and loaded.GetFirstNodeByName("RECIST box") is None
    finally:
        close_scene(loaded)
    clear_helper(box)
    assert box.GetNumberOfControlPoints() == 0


def test_a_cancelled_measurement_adds_nothing(a_scene, two_studies):
    from deepradiology.progress import Cancelled
    from deepradiology_mrml.logic.recist import RECISTAssistLogic

    ((volume, _), study), _ = two_studies
    before = a_scene.GetNumberOfNodes()

    def cancel(fraction, message=""):
        if fraction > 0.3:          # during the 3D propagation
            raise Cancelled("cancelled by the user")

    logic = RECISTAssistLogic(a_scene)
    with pytest.raises(Cancelled):
        logic.measure(volume, _click(study.lesions[0]), progress=cancel)
    assert a_scene.GetNumberOfNodes() == before and logic.lesions == []


@pytest.mark.slow
def test_a_click_on_any_slice_of_a_listed_lesion_updates_its_record(a_scene, two_studies):
    """Every voxel clicked lies inside the phantom's lesion (its label map): each click is the listed lesion."""
    from deepradiology_mrml.logic.recist import RECISTAssistLogic

    ((volume, _), study), _ = two_studies
    logic = RECISTAssistLogic(a_scene)
    for truth in study.lesions:
        logic.measure(volume, _click(truth))
    listed = len(logic.measured)
    clicks = updated = 0
    for truth in study.lesions:
        inside = np.argwhere(study.lesions_map.array == truth["label"])       # (k, j, i)
        for k in sorted(set(inside[:, 0].tolist())):
            on_slice = inside[inside[:, 0] == k]
            k_, j, i = on_slice[len(on_slice) // 2]
            logic.measure(volume, lps_to_ras(study.ct.index_to_lps([i, j, k_])))
            clicks += 1
            updated += logic.last_action == "updated"
    assert clicks >= 20 and updated == clicks
    assert len(logic.measured) == listed
