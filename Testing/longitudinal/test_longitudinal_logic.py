"""LongitudinalMatchLogic on the slicer-core wheel: phantom studies in, tracks / response / plot nodes out."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("slicer", reason="the Logic tests need the slicer-core wheel (pip install 'deepradiology[mrml]')")

from deepradiology.errors import InputError  # noqa: E402
from deepradiology.frames import lps_to_ras  # noqa: E402
from deepradiology.longitudinal.phantom_eval import phantom_studies  # noqa: E402


def _inputs(scene, phantom):
    from deepradiology_mrml.tables import lesions_to_table
    from deepradiology_mrml.volumes import image_to_volume_node

    from deepradiology_mrml.logic.longitudinal import DATE_ATTRIBUTE, StudyInput

    out = []
    # The reader's records, with an "absent" record for the lesion that vanished (else: not evaluated).
    read = {st.study_id: st.lesions for st in phantom_studies(phantom, with_images=False)}
    for s in reversed(phantom.studies):      # given out of order: the Logic sorts by DICOM date
        node = image_to_volume_node(scene, s.ct, s.plan.study_id)
        node.SetAttribute(DATE_ATTRIBUTE, s.plan.date.replace("-", ""))
        lesions = read[s.plan.study_id]
        out.append(StudyInput(node, lesions_to_table(scene, lesions, f"{s.plan.study_id} lesions")))
    return out


def test_logic_matches_the_phantom_series_and_writes_tables_plot_and_response(a_scene, a_coarse_phantom_patient):
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic
    from deepradiology_mrml.plots import plot_series_values
    from deepradiology_mrml.tables import table_to_records

    logic = LongitudinalMatchLogic(a_scene)
    result = logic.run(_inputs(a_scene, a_coarse_phantom_patient))
    assert result.studies == ["S0", "S1", "S2"]
    rows = table_to_records(logic.tracks_table)
    assert len(rows) == len(result.tracks) == 7
    for row in rows:       # every track holds one phantom lesion per study it is seen in
        ids = [row[f"{s} lesion"] for s in result.studies if row[f"{s} lesion"]]
        assert len({i.split("-")[1] for i in ids}) == 1
    # The vanished lesion reads "absent" (gone) after its baseline, not "not_evaluated", in the table.
    vanished = [row for row in rows if row["S0 lesion"] and not row["S1 lesion"] and not row["S2 lesion"]]
    assert len(vanished) == 1 and vanished[0]["S1 status"] == vanished[0]["S2 status"] == "absent"
    response = table_to_records(logic.response_table)
    assert [r["overall response"] for r in response][0] == "baseline"
    curves = plot_series_values(logic.plot_chart)
    assert "target sum" in curves and curves["target sum"][0].tolist() == [0.0, 63.0, 126.0]


def test_jump_positions_are_each_lesion_centre_in_ras_of_its_own_study(a_scene, a_coarse_phantom_patient):
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic

    logic = LongitudinalMatchLogic(a_scene)
    result = logic.run(_inputs(a_scene, a_coarse_phantom_patient), register=False)
    track = next(t for t in result.tracks if len(t.lesions) == 3)
    jumps = logic.jump_positions(track.track_id)
    for study, ras in jumps.items():
        truth = next(t for t in a_coarse_phantom_patient.studies[result.studies.index(study)].lesions
                     if t["lesion_id"] in track.lesions[study])
        centre = np.mean(truth["long_axis_lps"] + truth["short_axis_lps"], axis=0)
        assert np.allclose(ras, lps_to_ras(centre), atol=1e-6)


def test_a_user_split_then_merge_updates_tables_plot_and_response_and_leaves_no_stray_nodes(a_scene, a_coarse_phantom_patient):
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic
    from deepradiology_mrml.tables import table_to_records

    logic = LongitudinalMatchLogic(a_scene)
    result = logic.run(_inputs(a_scene, a_coarse_phantom_patient), register=False)
    nodes_before = a_scene.GetNumberOfNodes()
    responses = [r["overall response"] for r in table_to_records(logic.response_table)]
    target = next(t for t in result.targets if "S1" in result.track(t).lesions)
    new_id = logic.split(target, from_study="S1")
    after_split = table_to_records(logic.response_table)
    assert after_split[1]["overall response"] == "PD" and new_id in after_split[1]["new lesions"]
    assert len(table_to_records(logic.tracks_table)) == len(result.tracks)
    logic.merge(target, new_id)
    assert [r["overall response"] for r in table_to_records(logic.response_table)] == responses
    assert a_scene.GetNumberOfNodes() == nodes_before


def test_logic_refuses_a_single_study_and_makes_no_node(a_scene, a_coarse_phantom_patient):
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic

    inputs = _inputs(a_scene, a_coarse_phantom_patient)[:1]
    before = a_scene.GetNumberOfNodes()
    logic = LongitudinalMatchLogic(a_scene)
    with pytest.raises(InputError, match="at least two studies"):
        logic.run(inputs)
    assert a_scene.GetNumberOfNodes() == before and logic.tracks_table is None
    with pytest.raises(InputError, match="run the matching first"):
        logic.split("T1", from_study="S1")


def test_a_target_left_unmarked_is_not_evaluated_until_the_user_marks_it_absent(a_scene, a_coarse_phantom_patient):
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic
    from deepradiology_mrml.tables import table_to_records

    inputs = _inputs(a_scene, a_coarse_phantom_patient)
    for entry in inputs:                 # drop the reader's "absent" records: the vanished lesion is just unlisted
        from deepradiology_mrml.tables import lesions_to_table, table_to_lesions

        kept = [les for les in table_to_lesions(entry.lesions) if les.extra.get("status") != "absent"]
        entry.lesions = lesions_to_table(a_scene, kept, "unmarked")
    logic = LongitudinalMatchLogic(a_scene)
    result = logic.run(inputs, register=False)
    rows = table_to_records(logic.response_table)
    assert rows[1]["overall response"] == "NE" and rows[1]["target response"] == "NE"
    gone = next(t for t in result.tracks if list(t.lesions) == ["S0"])
    assert table_to_records(logic.tracks_table)[result.tracks.index(gone)]["S1 status"] == "not_evaluated"
    logic.set_status(gone.track_id, "S1", "absent")
    logic.set_status(gone.track_id, "S2", "absent")
    rows = table_to_records(logic.response_table)
    # Seed 1 by hand (test_response_from_tracks): S1 SD, S2 PD (new lesion).
    assert [r["overall response"] for r in rows] == ["baseline", "SD", "PD"]
    assert table_to_records(logic.tracks_table)[result.tracks.index(gone)]["S1 status"] == "absent"
