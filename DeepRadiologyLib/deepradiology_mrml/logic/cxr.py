"""CXRTriage's Logic: a chest film in the scene, its findings, heatmaps, boxes, report labels, worklists.

The film becomes a one-slice scalar volume (LPS geometry from the file, converted to RAS by the
bridge; PNGs without a pixel size get 1 mm pixels). Heatmaps are volumes on the film's own grid
(values 0-1) shown with a rainbow colour table, meant for the foreground layer; boxes are ROI markups
in RAS mm. The report part needs no model: it labels pasted or loaded report text and sets the
report's labels beside the image's findings, flagging disagreements ("the image suggests Effusion at
0.91, the report negates it"). Without a model the image part raises `ModelError` saying how to get one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deepradiology.errors import InputError, ModelError
from deepradiology.progress import Cancelled, ProgressCallback, report
from deepradiology_mrml.node_cache import NodeCache
from deepradiology_mrml.scene import remove_node

__all__ = ["CXRTriageLogic", "HEATMAP_COLOR_NODE_ID", "compare_image_and_report"]

HEATMAP_COLOR_NODE_ID = "vtkMRMLColorTableNodeRainbow"
_FILM_ATTRIBUTE = "DeepRadiology.CXRFilm"


def compare_image_and_report(score, report_labels, *, operating_points: dict) -> list[dict]:
    """One row per finding: image probability and flag, the report's label, and a disagreement sentence.

    ``score`` may be None (no model): then only the report's labels are listed. ``report_labels`` may
    be None (no report): then only the image's findings are listed.
    """
    from deepradiology.reports.vocabulary import FINDINGS

    names = list(score.probabilities) if score is not None else list(FINDINGS)
    if report_labels is not None:
        names += [f for f in FINDINGS if f not in names]
    rows = []
    for name in names:
        p = score.probabilities.get(name) if score is not None else None
        point = operating_points.get(name)
        flagged = p is not None and point is not None and p >= point
        label = report_labels.labels.get(name) if report_labels is not None else None
        disagreement = ""
        if p is not None and label is not None:
            if flagged and label == 0:
                disagreement = f"the image suggests {name} (p {p:.2f}), the report does not assert it"
            elif not flagged and label == 1:
                disagreement = f"the report asserts {name}, the image is below its operating point (p {p:.2f})"
        rows.append({"finding": name, "probability": None if p is None else round(float(p), 4),
                     "operating_point": None if point is None else round(float(point), 4), "flagged": bool(flagged),
                     # Four report states (asserted / negated / uncertain / not mentioned) and the sentence
                     # that decided each, from the core labeller (issue 15).
                     "report": "" if label is None else report_labels.display(name)[0],
                     "report_sentence": "" if label is None else report_labels.display(name)[1],
                     "disagreement": disagreement})
    return rows


class CXRTriageLogic:
    """Chest X-ray triage on a scene.

    Args:
        scene: a ``vtkMRMLScene`` (`deepradiology_mrml.scene.create_scene` or ``slicer.mrmlScene``).
        model: an installed model name, a checkpoint path, a loaded `CXRModel`, or None for the
            installed one (looked up when first needed).
    """

    def __init__(self, scene, *, model=None) -> None:
        self.scene = scene
        self._model_source = model
        self._model = model if hasattr(model, "predict") else None
        # Keyed by node object and pixel modified time, not by ID: Slicer reuses IDs after a scene clear.
        self._films = NodeCache()
        #: The `FilmScore` of each scored film node (``scores.get(node)``, ``node in scores``).
        self.scores = NodeCache()
        #: The findings table last filled by `run` or a report (for a front end to show).
        self.findings_table_node = None

    # -- the model ----------------------------------------------------------------------------------
    @property
    def model(self):
        """The loaded `CXRModel`. Raises ModelError (with how to get one) when none is available."""
        if self._model is None:
            from deepradiology.cxr.model import load_cxr_model

            self._model = load_cxr_model(self._model_source)
        return self._model

    def model_status(self) -> tuple[bool, str]:
        """(usable, one line for the panel): the model's name, training data, licence and findings, or how
        to get one."""
        try:
            model = self.model
        except ModelError as exc:
            return False, str(exc)
        return True, f"{model.card.summary()}. Findings: {', '.join(model.labels)}"

    # -- films ----------------------------------------------------------------------------------------
    def load_film(self, path: str | Path, *, name: str | None = None):
        """Read and check a film (PNG, JPEG, DICOM) and add it as a scalar volume node.

        Returns:
            (volume node, warnings). Raises InputError when the file is not a chest film.
        """
        from deepradiology.cxr.preprocess import prepare_film
        from deepradiology.image import Image
        from deepradiology_mrml.volumes import image_to_volume_node

        film = prepare_film(path)
        spacing = (1.0, 1.0, 1.0)
        if film.meta.get("spacing_known"):
            from deepradiology.io import read_radiograph

            spacing = read_radiograph(path).spacing
        image = Image(film.array[None].astype(np.float32), spacing=spacing, modality="DX", source=str(path))
        node = image_to_volume_node(self.scene, image, name or Path(path).stem)
        node.SetAttribute(_FILM_ATTRIBUTE, "1")
        display = node.GetDisplayNode()
        if display is not None:
            display.AutoWindowLevelOff()
            display.SetWindowLevel(1.0, 0.5)
        self._films[node] = film
        return node, list(film.warnings)

    def _film(self, volume_node):
        from deepradiology.cxr.preprocess import PreparedFilm, check_chest_film
        from deepradiology_mrml.volumes import volume_node_to_image

        if volume_node is None:
            raise InputError("film", "choose a chest X-ray volume")
        film = self._films.get(volume_node)
        if film is None:
            # A volume loaded by other means: take its pixels, scaled to [0, 1] by its own range.
            image = volume_node_to_image(volume_node)
            if image.array.shape[0] != 1:
                raise InputError(volume_node.GetName(), f"is a volume of {image.array.shape[0]} slices, not a radiograph")
            array = image.array[0].astype(np.float32)
            low, high = np.percentile(array, (0.5, 99.5))
            unit = np.clip((array - low) / max(high - low, 1e-6), 0, 1)
            warnings = check_chest_film(unit, {"modality": image.modality}, source=volume_node.GetName())
            film = PreparedFilm(unit, volume_node.GetName(), warnings, {})
            self._films[volume_node] = film
        return film

    def run(self, volume_node, *, progress: ProgressCallback | None = None, table_node=None):
        """Score the film; fill (or make) the findings table. Returns the `FilmScore`.

        Raises:
            ModelError: no model (the message says how to get one). InputError: not a chest film.
        """
        from deepradiology.cxr.triage import score_films

        model = self.model
        film = self._film(volume_node)
        report(progress, 0.1, "scoring the film")
        score = score_films(model, [film])[0]
        self.scores[volume_node] = score
        report(progress, 0.9, "filling the findings table")
        self.findings_table(volume_node, table_node=table_node)
        report(progress, 1.0, "done")
        return score

    def findings_table(self, volume_node, *, report_labels=None, table_node=None):
        """The findings table of a scored film (and of a labelled report, beside it)."""
        from deepradiology_mrml.tables import records_to_table

        score = self.scores.get(volume_node)
        if score is None and report_labels is None:
            raise InputError("findings", "run the film or label a report first")
        points = self.model.operating_points if score is not None else {}
        rows = compare_image_and_report(score, report_labels, operating_points=points)
        name = f"{volume_node.GetName()} findings" if volume_node is not None else "Report findings"
        self.findings_table_node = records_to_table(
            self.scene, rows, name, node=table_node,
            columns=["finding", "probability", "operating_point", "flagged", "report", "report_sentence", "disagreement"])
        return self.findings_table_node

    # -- heatmaps and boxes ----------------------------------------------------------------------------
    def show_finding(self, volume_node, finding: str, *, heatmap_node=None, threshold: float = 0.7):
        """The heatmap of ``finding`` as a volume on the film's grid (0-1, rainbow colours) and its boxes
        as ROI markups (RAS mm). Returns (heatmap node, [ROI nodes]); earlier boxes of this film are removed."""
        from deepradiology.cxr.heatmap import heatmap_boxes
        from deepradiology.cxr.triage import finding_heatmap
        from deepradiology_mrml.volumes import image_to_volume_node, volume_node_to_image

        score = self.scores.get(volume_node)
        if score is None:
            raise InputError("heatmap", "run the film first")
        if finding not in self.model.labels:
            raise InputError("finding", f"{finding!r} is not one of the model's findings: {', '.join(self.model.labels)}")
        heat = finding_heatmap(score, finding, self.model.labels)
        boxes = heatmap_boxes(heat, threshold=threshold)
        film_image = volume_node_to_image(volume_node)
        heat_image = film_image.with_array(heat[None].astype(np.float32))
        node = image_to_volume_node(self.scene, heat_image, f"{volume_node.GetName()} {finding} heatmap", node=heatmap_node)
        display = node.GetDisplayNode()
        if display is not None:
            display.SetAndObserveColorNodeID(HEATMAP_COLOR_NODE_ID)
            display.AutoWindowLevelOff()
            display.SetWindowLevelMinMax(0.0, 1.0)
            display.SetLowerThreshold(0.2)
            display.ApplyThresholdOn()
        self._remove_boxes(volume_node)
        rois = [self._roi(film_image, box, f"{volume_node.GetName()} {finding} box {n + 1}", volume_node)
                for n, box in enumerate(boxes)]
        return node, rois

    def _roi(self, image, box, name, volume_node):
        from deepradiology.frames import lps_to_ras

        x, y, w, h = box[:4]
        # Box corners are pixel edges; pixel centres are at integer indices, so the centre is at x + w/2 - 0.5.
        centre_lps = image.index_to_lps((x + w / 2 - 0.5, y + h / 2 - 0.5, 0.0))
        sx, sy, _ = image.spacing
        roi = self.scene.AddNewNodeByClass("vtkMRMLMarkupsROINode", name)
        roi.SetCenter(*lps_to_ras(np.asarray(centre_lps, float)))
        roi.SetSize(w * sx, h * sy, max(1.0, image.spacing[2]))
        roi.SetAttribute("DeepRadiology.CXRBoxOf", volume_node.GetID())
        return roi

    def _remove_boxes(self, volume_node) -> None:
        doomed = [self.scene.GetNthNodeByClass(i, "vtkMRMLMarkupsROINode")
                  for i in range(self.scene.GetNumberOfNodesByClass("vtkMRMLMarkupsROINode"))]
        for node in doomed:
            if node.GetAttribute("DeepRadiology.CXRBoxOf") == volume_node.GetID():
                remove_node(self.scene, node)

    # -- reports -------------------------------------------------------------------------------------------
    def label_report_text(self, text: str, *, volume_node=None, table_node=None):
        """Label pasted report text; with a scored film, fill the findings table with both side by side.

        Returns:
            (`ReportLabels`, table node). Works without a model.
        """
        from deepradiology.reports import label_report

        labels = label_report(text, report_id=volume_node.GetName() if volume_node is not None else "report")
        scored = volume_node is not None and volume_node in self.scores
        table = self.findings_table(volume_node if scored else None, report_labels=labels, table_node=table_node)
        return labels, table

    def label_report_file(self, path: str | Path, *, volume_node=None, table_node=None):
        """Label a report file (.txt, or one OpenI .xml: FINDINGS + IMPRESSION)."""
        from deepradiology.reports import ReportProblem, read_reports

        items = list(read_reports(path))
        if len(items) != 1:
            raise InputError(path, f"holds {len(items)} reports; load one report here (use the CLI for batches)")
        if isinstance(items[0], ReportProblem):
            raise InputError(path, items[0].problem)
        return self.label_report_text(items[0].text, volume_node=volume_node, table_node=table_node)

    # -- folder mode -------------------------------------------------------------------------------------
    def run_folder(self, folder: str | Path, *, worklist_csv: str | Path | None = None, force: bool = False,
                   progress: ProgressCallback | None = None, table_node=None):
        """Score every film in a folder into a worklist table (most urgent first); failed inputs last with
        their reason. With ``worklist_csv`` the CSV and heatmap overlays are written too.

        ``progress`` gets (fraction, message) after every film (0-0.9), before the worklist is written
        (0.9) and once it and the table exist (1.0); it may raise `Cancelled`: a run cancelled up to the
        0.9 call writes no worklist and adds no table; a cancel at 1.0 comes too late and is ignored.

        Returns:
            (table node, rows).
        """
        import tempfile

        from deepradiology.cxr.triage import score_films, write_worklist
        from deepradiology_mrml.tables import records_to_table

        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(folder, "no such folder")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".dcm", ".dicom"))
        if not files:
            raise InputError(folder, "holds no PNG, JPEG or DICOM films")
        model = self.model
        scores = score_films(model, files, progress=lambda f, m="": report(progress, 0.9 * f, m))
        report(progress, 0.9, "writing the worklist")
        if worklist_csv is not None:
            rows = write_worklist(scores, worklist_csv, labels=model.labels, operating_points=model.operating_points,
                                  force=force)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                rows = write_worklist(scores, Path(tmp) / "worklist.csv", labels=model.labels,
                                      operating_points=model.operating_points, heatmaps=False)
        table = records_to_table(self.scene, rows, "CXR worklist", node=table_node)
        try:
            report(progress, 1.0, f"{len(rows)} films in the worklist")
        except Cancelled:
            pass  # everything is written already: keep it rather than half-undo it
        return table, rows
