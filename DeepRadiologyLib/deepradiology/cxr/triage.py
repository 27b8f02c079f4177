"""Triage: score films, flag findings above their operating points, and sort a worklist by urgency.

Each finding has an operating point (a probability threshold chosen on validation data, stored in the
model card) and a clinical weight (how soon a radiologist should see it: a pneumothorax before an
old fibrosis). A film's urgency is the largest ``weight * (0.5 + 0.5 * margin)`` over its flagged
findings, where ``margin = (p - point) / (1 - point)`` in [0, 1] says how far past its operating point
the probability is; a film with nothing flagged has urgency 0 and is sorted by its highest
probability relative to its point. Failed inputs are listed last with their reason.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DeepRadiologyError
from ..progress import report
from .heatmap import heatmap_boxes, heatmap_overlay, normalise_map, upsample_map
from .preprocess import PreparedFilm, prepare_film, resize_film, standardise

__all__ = ["URGENCY_WEIGHTS", "FilmScore", "score_films", "urgency", "write_worklist", "triage_paths",
           "finding_heatmap"]

#: How soon each finding should be seen (1 = at once). Findings not listed weigh 0.5.
URGENCY_WEIGHTS = {"Pneumothorax": 1.0, "Edema": 0.8, "Pneumonia": 0.8, "Consolidation": 0.8, "Effusion": 0.7,
                   "Mass": 0.7, "Atelectasis": 0.5, "Infiltration": 0.5, "Cardiomegaly": 0.5, "Nodule": 0.5,
                   "Emphysema": 0.3, "Fibrosis": 0.3, "Pleural_Thickening": 0.3, "Hernia": 0.3}


@dataclass
class FilmScore:
    """One film's result. ``probabilities`` per finding; ``maps`` (C, S, S) class activations;
    ``flagged`` findings at or above their operating point, most urgent first; ``problem`` is set
    (and nothing else) when the input could not be read."""

    source: str
    probabilities: dict = field(default_factory=dict)
    flagged: list = field(default_factory=list)
    urgency: float = 0.0
    maps: np.ndarray | None = None
    film: np.ndarray | None = None
    warnings: list = field(default_factory=list)
    problem: str = ""

    @property
    def status(self) -> str:
        return "failed" if self.problem else "check input" if self.warnings else "ok"


def urgency(probabilities: dict, operating_points: dict, *, weights=URGENCY_WEIGHTS) -> tuple[float, list[str]]:
    """(urgency in [0, 1], flagged findings most urgent first); see the module docstring."""
    scored = []
    for name, p in probabilities.items():
        point = float(operating_points.get(name, 0.5))
        if p >= point:
            margin = (p - point) / (1 - point) if point < 1 else 1.0
            scored.append((weights.get(name, 0.5) * (0.5 + 0.5 * min(1.0, margin)), name))
    scored.sort(reverse=True)
    return (scored[0][0] if scored else 0.0), [name for _, name in scored]


def finding_heatmap(score: FilmScore, finding: str, labels: list[str], shape=None) -> np.ndarray:
    """The [0, 1] heatmap of ``finding`` on the film's pixel grid (or ``shape``)."""
    shape = shape or score.film.shape
    return normalise_map(upsample_map(score.maps[labels.index(finding)], shape))


def score_films(model, sources, *, batch_size: int = 8, progress=None) -> list[FilmScore]:
    """Read, check and score films (paths or `PreparedFilm`s); a bad input gives a `FilmScore` with ``problem``."""
    results: list[FilmScore] = []
    pending: list[tuple[FilmScore, np.ndarray]] = []
    labels, points = model.labels, model.operating_points

    def flush():
        if not pending:
            return
        probs, maps = model.predict(np.stack([x for _, x in pending]))
        for (score, _), p, m in zip(pending, probs, maps):
            score.probabilities = {name: float(v) for name, v in zip(labels, p)}
            score.maps = m
            score.urgency, score.flagged = urgency(score.probabilities, points)
        pending.clear()

    sources = list(sources)
    for n, source in enumerate(sources):
        try:
            film = source if isinstance(source, PreparedFilm) else prepare_film(source)
        except DeepRadiologyError as exc:
            problem = getattr(exc, "problem", str(exc))
            results.append(FilmScore(str(source), problem=problem))
            continue
        score = FilmScore(film.source, film=film.array, warnings=list(film.warnings))
        results.append(score)
        prepare = getattr(model, "prepare", None)   # a model in a published format brings its own preprocessing
        pending.append((score, prepare(film.array) if prepare else standardise(resize_film(film.array, model.size))))
        if prepare and film.array.shape[0] != film.array.shape[1]:
            score.warnings.append("the model saw the centre square of this film only; its heatmap covers that square")
        if len(pending) >= batch_size:
            flush()
        report(progress, (n + 1) / len(sources), f"scored {n + 1} of {len(sources)} films")
    flush()
    return results


def _sort_key(score: FilmScore, points: dict):
    if score.problem:
        return (2, 0.0, score.source)
    closest = max((p / max(points.get(k, 0.5), 1e-6) for k, p in score.probabilities.items()), default=0.0)
    return (0 if score.flagged else 1, -score.urgency, -closest, score.source)


def write_worklist(scores: list[FilmScore], path: str | Path, *, labels: list[str], operating_points: dict,
                   heatmaps: bool = True, force: bool = False, threshold: float = 0.7) -> list[dict]:
    """Write the worklist CSV (most urgent first) and, with ``heatmaps``, one overlay PNG per scored film
    (its most urgent flagged finding, else its most probable one) in ``<worklist stem>_heatmaps/``.

    Columns: rank, file, status, urgency, flagged, heatmap_finding, heatmap_png, boxes (x y w h in the
    film's pixels, ';'-separated), one probability column per finding, notes (warnings or the reason
    an input failed). Returns the rows as dicts.

    Raises:
        OutputExistsError: the worklist or one of the overlay PNGs exists and ``force`` is False; then
            nothing is written.
    """
    from PIL import Image as PILImage

    from ..errors import InputError, OutputExistsError
    from ..io import prepare_output
    from ..io.write import atomic_open

    path = prepare_output(path, force=force)
    folder = path.with_name(path.stem + "_heatmaps")
    ordered = sorted(scores, key=lambda s: _sort_key(s, operating_points))
    rows, overlays = [], []
    for rank, score in enumerate(ordered, start=1):
        row = {"rank": rank, "file": score.source, "status": score.status, "urgency": round(score.urgency, 4),
               "flagged": ";".join(score.flagged), "heatmap_finding": "", "heatmap_png": "", "boxes": ""}
        for name in labels:
            row[name] = round(score.probabilities[name], 4) if score.probabilities else ""
        row["notes"] = score.problem or "; ".join(score.warnings)
        if not score.problem:
            row["heatmap_finding"] = score.flagged[0] if score.flagged else \
                max(score.probabilities, key=score.probabilities.get)
            if heatmaps:
                row["heatmap_png"] = str(folder / f"{rank:03d}_{Path(score.source).stem}_{row['heatmap_finding']}.png")
                overlays.append((score, row))
        rows.append(row)
    # Every overlay name is known before any is drawn: a user's file under one of them is refused
    # (nothing written at all), as the worklist itself is, unless --force.
    if overlays and folder.exists() and not folder.is_dir():
        raise InputError(folder, "is a file, not the folder for the heatmap overlays; move it or use --no-heatmaps")
    if not force:
        for _, row in overlays:
            if Path(row["heatmap_png"]).exists():
                raise OutputExistsError(row["heatmap_png"])
    for score, row in zip(ordered, rows):
        if score.problem:
            continue
        shape = score.film.shape
        scale = min(1.0, 1024 / max(shape))  # overlays at most 1024 pixels wide
        small = tuple(max(1, int(round(v * scale))) for v in shape)
        heat = finding_heatmap(score, row["heatmap_finding"], labels, shape=small)
        boxes = heatmap_boxes(heat, threshold=threshold)
        row["boxes"] = ";".join(" ".join(f"{v / scale:.0f}" for v in b[:4]) for b in boxes)
        if row["heatmap_png"]:
            folder.mkdir(parents=True, exist_ok=True)
            film = resize_film(score.film, small[0]) if small != shape and small[0] == small[1] else \
                np.asarray(PILImage.fromarray((score.film * 255).astype(np.uint8)).resize(small[::-1]), np.float32) / 255
            PILImage.fromarray(heatmap_overlay(film, heat, boxes=boxes)).save(row["heatmap_png"])
    with atomic_open(path, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["rank", "file"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def triage_paths(paths, model, output: str | Path, *, force: bool = False, heatmaps: bool = True,
                 progress=None) -> list[dict]:
    """Score films and write the worklist (and overlays); the CLI's and the folder mode's one call."""
    files = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.suffix.lower() in (".png", ".jpg", ".jpeg", ".dcm", ".dicom")))
        else:
            files.append(p)
    scores = score_films(model, files, progress=progress)
    return write_worklist(scores, output, labels=model.labels, operating_points=model.operating_points,
                          heatmaps=heatmaps, force=force)
