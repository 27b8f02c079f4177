"""The batch demo: every landed tool run on the embedded default patient, saved as one Slicer scene.

`run_demo` renders the synthetic patient (phantom seed 0: three CT studies), then does what a
radiologist would do with each tool through the same Logic classes the Slicer modules use:

1. RECISTAssist: click every lesion of every study (at its known centre) -> line pairs, 3D segments,
   lesion tables; the measurements are compared with the phantom's ground truth.
2. LongitudinalMatch: match the measured lesions across the three studies -> tracks, diameter plot,
   RECIST 1.1 response per time point.
3. LesionRetrieval: a database of the follow-up lesions, queried with the first baseline lesion.
4. CXRTriage (reports): three short example reports labelled, negation included.
5. PancreasSegment: run when a pancreas model is installed; otherwise the how-to is recorded.

Everything lands in one folder: the phantom NIfTI files and truth, ``summary.json`` and
``deepradiology_demo.mrb`` (opens in Slicer: File > Add Data).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from deepradiology.errors import OutputExistsError
from deepradiology.frames import lps_to_ras
from deepradiology.progress import ProgressCallback, report

__all__ = ["run_demo", "EXAMPLE_REPORTS"]

#: Short example reports, written for this demo, that show negation and uncertainty at work.
EXAMPLE_REPORTS = {
    "DEMO1": "No pneumothorax. Small right pleural effusion. Heart size is normal.",
    "DEMO2": "Right apical pneumothorax. No pleural effusion.",
    "DEMO3": "Patchy opacity at the left base, cannot exclude pneumonia. The lungs are otherwise clear.",
}


def _measure_study(scene, logic_cls, volume_node, study, patient: str) -> tuple[list, list[dict]]:
    """Click each known lesion of one phantom study; returns the measured lesions and their errors.

    The phantom's organ label map stands in for an organ segmentation, to name each lesion's organ.
    """
    from deepradiology.phantom import ORGAN_LABELS

    organ_names = {label: name for name, label in ORGAN_LABELS.items()}
    logic = logic_cls(scene)
    lesions, errors = [], []
    for truth in study.lesions:
        lesion = logic.measure(volume_node, lps_to_ras(np.asarray(truth["centre_lps"])),
                               organ_labels=study.organs, label_names=organ_names)
        lesion.patient, lesion.study = patient, study.plan.study_id
        lesions.append(lesion)
        errors.append({"study": study.plan.study_id, "lesion": lesion.lesion_id, "truth": truth["lesion_id"],
                       "truth_track": truth["track_id"],
                       "long_mm": round(lesion.long_axis_mm, 2), "long_error_mm": round(lesion.long_axis_mm - truth["long_axis_mm"], 2),
                       "short_error_mm": round(lesion.short_axis_mm - truth["short_axis_mm"], 2),
                       "volume_error_pct": round(100 * (lesion.volume_ml / truth["volume_ml"] - 1), 1)})
    _file_study_nodes(scene, logic, volume_node, study, patient)
    return lesions, errors


def _file_study_nodes(scene, logic, volume_node, study, patient: str) -> None:
    """Name the study's masks and table after it and put them, its CT and its lines under the study in
    the subject hierarchy (patient -> study -> nodes)."""
    from deepradiology_mrml.subject_hierarchy import file_under_study

    study_id = study.plan.study_id
    for node, what in ((logic.segmentation_node, "RECIST lesion masks"), (logic.table_node, "RECIST lesions")):
        if node is not None:
            node.SetName(f"{study_id} {what}")
    lines = [scene.GetNodeByID(node_id) for entry in logic.measured.values()
             for node_id in (entry.long_node_id, entry.short_node_id)]
    file_under_study(scene, patient, f"{study_id} ({study.plan.date})",
                     [volume_node, logic.segmentation_node, logic.table_node, *lines])


def _truth_track_names(tracking, errors: list[dict]) -> dict[str, str]:
    """Each matched track's id -> the phantom truth's track id of the lesions it holds.

    The matching numbers its tracks itself (T1, T2, ... in its own order), so its T1 need not be the
    truth's T1; this says which is which. A track holding lesions of several truth tracks (a wrong
    merge) names them all, joined by "+".
    """
    truth_of = {(e["study"], e["lesion"]): e["truth_track"] for e in errors}
    names = {}
    for track in tracking.result.tracks:
        found = sorted({truth_of[(study, i)] for study, ids in track.lesions.items() for i in ids
                        if (study, i) in truth_of})
        names[track.track_id] = "+".join(found) if found else "none"
    return names


def _with_absent_records(phantom, measured: list[list], errors: list[dict]) -> list[list]:
    """Each study's measured lesions plus an "absent" record for every lesion seen at an earlier study
    and gone at this one, as a reader who looked and found it gone writes it (`longitudinal.records`).

    Without the record the lesion is "not evaluated" at that study and the response is NE: the demo's
    reader knows what vanished (the phantom's truth), as the radiologist would from the images.
    """
    from deepradiology.lesion import Lesion

    measured_id = {(e["study"], e["truth_track"]): e["lesion"] for e in errors}
    last_seen: dict[str, str] = {}
    readings = []
    for study, lesions in zip(phantom.studies, measured):
        sid = study.plan.study_id
        here = {t["track_id"] for t in study.lesions}
        gone = [Lesion(f"{sid} {track} absent", patient=phantom.plan.patient_id, study=sid,
                       extra={"status": "absent", "same_as": earlier})
                for track, earlier in last_seen.items() if track not in here]
        readings.append(list(lesions) + gone)
        last_seen.update({t["track_id"]: measured_id[(sid, t["track_id"])] for t in study.lesions})
    return readings


def _pancreas_status() -> dict:
    from deepradiology.models import find_model

    card = find_model("pancreas-segmentation")
    if card is None:
        return {"ran": False, "why": "no pancreas model is installed; train one with `deepradiology pancreas train` "
                                     "or import one with `deepradiology models import`"}
    return {"ran": False, "model": card.name, "why": "run it from the PancreasSegment panel or "
                                                    "`deepradiology pancreas segment`"}


def run_demo(folder: str | Path, *, seed: int = 0, spacing=(0.8, 0.8, 2.5), force: bool = False,
             progress: ProgressCallback | None = None) -> dict:
    """Run the demo into ``folder``; returns the summary also written to ``summary.json``.

    Args:
        seed: the phantom patient's seed.
        spacing: the phantom's voxel size (i, j, k) in mm.

    Raises:
        OutputExistsError: ``folder`` already holds a demo and ``force`` is False.
    """
    from deepradiology.longitudinal.phantom_eval import truth_categories
    from deepradiology.phantom import generate_phantom, write_phantom
    from deepradiology.reports import label_report
    from deepradiology_mrml.logic.longitudinal import LongitudinalMatchLogic, StudyInput
    from deepradiology_mrml.logic.recist import RECISTAssistLogic
    from deepradiology_mrml.logic.retrieval import LesionRetrievalLogic
    from deepradiology_mrml.mrb import save_mrb
    from deepradiology_mrml.scene import close_scene, create_scene
    from deepradiology_mrml.volumes import image_to_volume_node

    folder = Path(folder)
    outputs = {"summary": folder / "summary.json", "scene": folder / "deepradiology_demo.mrb",
               "phantom": folder / "phantom", "database": folder / "lesions.sqlite"}
    if not force:
        for path in outputs.values():
            if path.exists():
                raise OutputExistsError(path)
    folder.mkdir(parents=True, exist_ok=True)
    outputs["database"].unlink(missing_ok=True)

    report(progress, 0.0, "rendering the synthetic patient")
    phantom = generate_phantom(seed, n_studies=3, spacing=spacing)
    write_phantom(phantom, outputs["phantom"], force=True)
    patient = phantom.plan.patient_id
    scene = create_scene()
    try:
        nodes = [image_to_volume_node(scene, s.ct, f"{s.plan.study_id} CT ({s.plan.date})") for s in phantom.studies]

        measured, errors = [], []
        for n, (study, node) in enumerate(zip(phantom.studies, nodes)):
            report(progress, 0.1 + 0.4 * n / len(nodes), f"RECISTAssist: measuring study {study.plan.study_id}")
            lesions, errs = _measure_study(scene, RECISTAssistLogic, node, study, patient)
            measured.append(lesions)
            errors += errs

        report(progress, 0.55, "LongitudinalMatch: matching lesions across studies")
        tracking = LongitudinalMatchLogic(scene)
        readings = _with_absent_records(phantom, measured, errors)
        tracking.run([StudyInput(node, lesions, date=s.plan.date, study_id=s.plan.study_id)
                      for s, node, lesions in zip(phantom.studies, nodes, readings)])

        report(progress, 0.75, "LesionRetrieval: building a database and querying it")
        from deepradiology.retrieval.importers import import_lesions

        retrieval = LesionRetrievalLogic(scene, outputs["database"], create=True)
        try:
            for study, lesions in list(zip(phantom.studies, measured))[1:]:
                import_lesions(retrieval.db, lesions, image=study.ct, source="demo follow-ups")
            neighbours = retrieval.query_lesion(measured[0][0], volume_node=nodes[0], k=3)
            retrieval.results_to_table(neighbours)
        finally:
            retrieval.close()

        report(progress, 0.85, "CXRTriage: labelling example reports")
        labelled = {rid: {k: v for k, v in label_report(text).labels.items() if v} for rid, text in EXAMPLE_REPORTS.items()}

        report(progress, 0.9, "saving the scene")
        save_mrb(scene, outputs["scene"], force=True)
    finally:
        close_scene(scene)

    truth_names = _truth_track_names(tracking, errors)
    summary = {
        "patient": patient,
        "outputs": {k: str(v) for k, v in outputs.items()},
        "recist": {"lesions_measured": len(errors),
                   "mean_abs_long_error_mm": round(float(np.mean([abs(e["long_error_mm"]) for e in errors])), 2),
                   "mean_abs_short_error_mm": round(float(np.mean([abs(e["short_error_mm"]) for e in errors])), 2),
                   "per_lesion": errors},
        "longitudinal": {"truth_overall_response": truth_categories(phantom.ground_truth()),
                         "tracks": [dict(row, **{"truth track": truth_names.get(row["track"], "none")})
                                    for row in tracking.track_rows()],
                         "track_names": truth_names,
                         "track_names_note": "tracks are numbered by the matching; 'truth track' (and track_names: "
                                             "matched -> truth) names the phantom ground-truth track each one follows",
                         "response": tracking.response_rows()},
        "retrieval": {"query": measured[0][0].lesion_id,
                      "neighbours": [{"rank": r.rank, "distance": round(r.distance, 3), "lesion": r.label,
                                      "closest_by": r.closest_by} for r in neighbours]},
        "reports": {"examples": EXAMPLE_REPORTS, "positive_labels": labelled},
        "pancreas": _pancreas_status(),
    }
    outputs["summary"].write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    report(progress, 1.0, "done")
    return summary
