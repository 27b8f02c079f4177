"""LongitudinalMatch's Logic: a patient's study volumes and their lesions in, tracks and RECIST out.

Inputs are volume nodes (one per study) with the lesions marked on each (a lesion table node made by
`deepradiology_mrml.tables.lesions_to_table`, or a list of `Lesion` records). Outputs are nodes:

* a tracks table: one row per track with its status, and per study the lesion id, the RECIST
  diameter (mm) and the change from baseline (percent);
* a response table: per study the target sum (mm), nadir, changes and the RECIST 1.1 categories;
* a plot chart: diameter over time per track and the target sum (x: days since baseline, or the
  study number when dates are missing).

`jump_positions` gives, per study, the RAS point of a track's lesion in that study's own volume, for
the viewer to centre each slice view on it. `split` and `merge` apply a radiologist's correction and
rebuild the tables, the plot and the response. The Logic never opens dialogs; it raises
`DeepRadiologyError`s and leaves no half-made nodes when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as _date

import numpy as np

from deepradiology.errors import InputError
from deepradiology.frames import lps_to_ras
from deepradiology.lesion import Lesion
from deepradiology.longitudinal.corrections import merge_tracks, set_status, split_track
from deepradiology.longitudinal.embedding import lesion_centre_lps
from deepradiology.longitudinal.recist11 import target_diameter_mm
from deepradiology.longitudinal.study import Study
from deepradiology.longitudinal.tracking import TrackingResult, track_lesions
from deepradiology.progress import ProgressCallback
from deepradiology_mrml.scene import remove_node
# study dates are read in a light module the Widget can import before the first-use install; re-exported here
from deepradiology_mrml.subject_hierarchy import DATE_ATTRIBUTE, study_date

__all__ = ["LongitudinalMatchLogic", "StudyInput", "DATE_ATTRIBUTE", "study_date"]


@dataclass
class StudyInput:
    """One study for the Logic: its volume node, its lesions, and optionally its date and id."""

    volume_node: object
    lesions: object = field(default_factory=list)   # list[Lesion] or a lesion table node
    date: str = ""
    study_id: str = ""


class LongitudinalMatchLogic:
    """Match lesions across a patient's studies in a scene (module docstring)."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.result: TrackingResult | None = None
        self.tracks_table = None
        self.response_table = None
        self.plot_chart = None
        self._plot_nodes: list = []

    # --- inputs -----------------------------------------------------------------------------
    def _study(self, entry: StudyInput, n: int) -> Study:
        from deepradiology_mrml.tables import table_to_lesions
        from deepradiology_mrml.volumes import volume_node_to_image

        node = entry.volume_node
        if node is None:
            raise InputError(f"study {n + 1}", "no volume selected")
        lesions = entry.lesions
        if not isinstance(lesions, list):
            lesions = table_to_lesions(lesions)
        if not all(isinstance(les, Lesion) for les in lesions):
            raise InputError(node.GetName(), "lesions must be Lesion records or a lesion table node")
        date = entry.date or study_date(node)
        image = volume_node_to_image(node, modality="CT")
        return Study(entry.study_id or node.GetName(), lesions, date=date, image=image)

    # --- running ----------------------------------------------------------------------------
    def run(self, studies: list[StudyInput], *, register: bool = True, force_patient: bool = False,
            progress: ProgressCallback | None = None) -> TrackingResult:
        """Match the studies (ordered by date when every study has one) and write the output nodes.

        ``progress`` is called through registration (every optimiser iteration) and matching; it may
        raise `Cancelled`: the scene, the earlier result and its tables are then left as they were.

        Raises:
            InputError: see `deepradiology.longitudinal.study.check_studies`; no node is made then.
        """
        core = [self._study(entry, n) for n, entry in enumerate(studies)]
        result = track_lesions(core, register=register, force_patient=force_patient, progress=progress)
        # Only now: a run cancelled (or failed) above keeps the earlier result, its volumes and its nodes.
        self._volumes = {s.study_id: entry.volume_node for s, entry in zip(core, studies)}
        self.result = result
        self._write_nodes()
        return result

    def split(self, track_id: str, *, from_study: str) -> str:
        """Cut a track before ``from_study``; the tables, plot and response follow. Returns the new id."""
        new_id = split_track(self._require(), track_id, from_study=from_study)
        self._write_nodes()
        return new_id

    def merge(self, keep: str, absorb: str) -> None:
        """Join track ``absorb`` into ``keep``; the tables, plot and response follow."""
        merge_tracks(self._require(), keep, absorb)
        self._write_nodes()

    def set_status(self, track_id: str, study: str, status: str | None) -> None:
        """Say what a track's lesion is at a study ("absent", "not_evaluated", "unequivocal_progression",
        None to clear); the tables, plot and response follow. A lesion nobody marked is not evaluated."""
        set_status(self._require(), track_id, study, status)
        self._write_nodes()

    def _require(self) -> TrackingResult:
        if self.result is None:
            raise InputError("LongitudinalMatch", "run the matching first")
        return self.result

    # --- reading the result -----------------------------------------------------------------
    def track_rows(self) -> list[dict]:
        """The tracks table's rows: track, status, events, and per study lesion / diameter / change."""
        r = self._require()
        rows = []
        for t in r.tracks:
            row = {"track": t.track_id, "status": t.status,
                   "role": "target" if t.track_id in r.targets else "non-target" if t.track_id in r.non_targets else "",
                   "events": "; ".join(t.events)}
            baseline_d = None
            for n, study in enumerate(r.studies):
                ids = t.lesions.get(study, [])
                d = max((target_diameter_mm(r.lesions[study][i]) for i in ids), default=None)
                if n == 0:
                    baseline_d = d
                row[f"{study} lesion"] = ", ".join(ids)
                row[f"{study} status"] = r.response[n].lesion_status.get(t.track_id, "") if r.response else ""
                row[f"{study} diameter (mm)"] = None if d is None else round(d, 1)
                change = None if d is None or not baseline_d else round(100.0 * (d - baseline_d) / baseline_d, 1)
                row[f"{study} change (%)"] = change
            confidences = [m.confidence for m in t.matches]
            row["lowest match confidence"] = round(min(confidences), 3) if confidences else None
            rows.append(row)
        return rows

    def response_rows(self) -> list[dict]:
        """One row per study: sums (mm), changes (percent) and the RECIST 1.1 categories."""
        return [{"study": p.study, "date": p.date, "target sum (mm)": p.sum_mm, "nadir (mm)": p.nadir_mm,
                 "change from baseline (%)": p.change_from_baseline_pct,
                 "change from nadir (%)": p.change_from_nadir_pct, "target response": p.target_response,
                 "non-target response": p.non_target_response,
                 "new lesions": ", ".join(p.new_lesions), "overall response": p.overall_response, "note": p.note,
                 "reasons": "; ".join(p.reasons)}
                for p in self._require().response]

    def time_axis(self) -> tuple[list[float], str]:
        """x values per study: days since baseline when every study is dated, else the study number."""
        r = self._require()
        try:
            days = [_parse_date(d) for d in r.dates]
            return [float((d - days[0]).days) for d in days], "days since baseline"
        except (TypeError, ValueError):
            return [float(n) for n in range(len(r.studies))], "study number"

    def jump_positions(self, track_id: str) -> dict[str, tuple[float, float, float]]:
        """Per study where the track has a lesion: its centre as RAS mm in that study's own volume."""
        r = self._require()
        track = r.track(track_id)
        out = {}
        for study, ids in track.lesions.items():
            centres = [lesion_centre_lps(r.lesions[study][i]) for i in ids]
            out[study] = tuple(float(v) for v in lps_to_ras(np.mean(centres, axis=0)))
        return out

    def volume_node(self, study: str):
        """The volume node a study came from."""
        return self._volumes[study]

    # --- nodes ------------------------------------------------------------------------------
    def _write_nodes(self) -> None:
        from deepradiology_mrml.plots import add_line_plot
        from deepradiology_mrml.tables import records_to_table

        r = self._require()
        x, x_title = self.time_axis()
        series = {}
        for row in self.track_rows():
            pts = [(xv, row[f"{s} diameter (mm)"]) for xv, s in zip(x, r.studies)
                   if row[f"{s} diameter (mm)"] is not None]
            if pts:
                series[row["track"]] = ([p[0] for p in pts], [p[1] for p in pts])
        # A study where a target was not evaluated has no sum: it is left out, never drawn as 0 mm.
        summed = [(xv, p.sum_mm) for xv, p in zip(x, r.response) if p.sum_mm is not None]
        series["target sum"] = ([v[0] for v in summed], [v[1] for v in summed])
        made = []
        try:
            tracks = records_to_table(self.scene, self.track_rows(), "LongitudinalMatch tracks", node=self.tracks_table)
            made.append(tracks if self.tracks_table is None else None)
            response = records_to_table(self.scene, self.response_rows(), "LongitudinalMatch response",
                                        node=self.response_table)
            made.append(response if self.response_table is None else None)
            chart = add_line_plot(self.scene, "LongitudinalMatch diameters", series, x_title=x_title,
                                  y_title="diameter (mm)")
        except Exception:
            for node in made:
                remove_node(self.scene, node)
            raise
        self._remove_plot()
        self.tracks_table, self.response_table, self.plot_chart = tracks, response, chart
        self._plot_nodes = [chart] + [chart.GetNthPlotSeriesNode(n) for n in range(chart.GetNumberOfPlotSeriesNodes())]
        self._plot_nodes += [p.GetTableNode() for p in self._plot_nodes[1:]]

    def _remove_plot(self) -> None:
        for node in self._plot_nodes:
            remove_node(self.scene, node)
        self._plot_nodes = []


def _parse_date(text: str) -> _date:
    digits = text.replace("-", "").replace("/", "").strip()
    return _date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
