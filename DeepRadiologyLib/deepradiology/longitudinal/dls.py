"""DeepLesion tracking pairs (DLT, Cai et al. 2021): choose each source lesion's match from DL_info.csv.

A pair names a source lesion in one study and its known match in a later study of the same patient.
The candidates are all lesions ``DL_info.csv`` lists in the target's series (same patient, study and
series). The choice uses only the metadata: the normalised 3D location (x, y from the body outline, z
from the self-supervised body-part regressor), the RECIST position in mm within the series, the
diameters and the coarse type, for the source lesion and for every other lesion of both studies.

It is a joint choice, the graph's exclusion step over the study pair: all lesions of the source study
are assigned at once to the target series' candidates (Hungarian assignment, "no match" allowed at
``miss_cost``), alternating with a robust estimate of how the two studies are shifted against each
other (in normalised units, and in mm). The source lesion of the pair must be matched (the pair says
its lesion is there).

All series of one study share the scanner's frame: lesions that two series of a study both list (same
normalised location within 0.01) sit at the same local mm position (78 such lesions in
``DL_info_test.csv``: median offset under 0.3 mm, median absolute deviation 0.6-1.5 mm per axis; no
tracking pair is used for this). Three consequences, Algorithm 1's intra-study merge in mm:
a lesion of another series of the source study lying inside the extent of a lesion already kept (centre
distance below half the larger long diameter) is the same lesion and is merged, so it cannot compete
with its own copy for a target; the target series is never a source; the mm shift is estimated from
matches of every series of the source study, and is zero from the start when the target series belongs
to the source study.

The peer is the DLT tracker's own ``predict target center`` (target volume voxels; the volume's first
slice is the start of the slice range in its file name), snapped to the nearest candidate in mm. DLT
searched the raw images for the lesion, a harder job than choosing among listed lesions; the two
accuracies are comparable only as "which listed lesion did each method point at".
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..deeplesion import DLInfoRow
from ..errors import InputError
from ..io.jsonfile import read_json
from ..validate import finite_point

__all__ = ["DLSWeights", "DLIndex", "load_tracking_pairs", "match_study_pair", "dlt_snapped_choice",
           "evaluate_tracking_pairs"]

_COORD_TOLERANCE_PX = 2.0   # pair files round DL_info's coordinates to 0.1 px


@dataclass(frozen=True)
class DLSWeights:
    """Cue weights for DeepLesion matching, set a priori (not fitted to the evaluation pairs).

    ``location_sigma``: normalised-location difference worth one unit (0.03 is about 1 cm across a
    35 cm body). ``mm_sigma``: RECIST-position difference in mm worth one unit, once the two series are
    aligned by the matched lesions. ``size_weight`` per unit of log mean diameter (a 50 % change is
    about one unit); ``type_weight`` for a different coarse type; ``miss_cost``: cost of leaving a
    lesion unmatched (the T2 of Algorithm 1); ``rounds``: assignment / shift-estimate alternations.
    """

    location_sigma: float = 0.03
    mm_sigma: float = 10.0
    size_weight: float = 2.5
    type_weight: float = 2.0
    miss_cost: float = 4.0
    rounds: int = 3

    def to_dict(self) -> dict:
        return asdict(self)


class DLIndex:
    """DL_info rows by series key and by (patient, study), with lookup of a pair's lesions."""

    def __init__(self, rows: list[DLInfoRow]) -> None:
        self.by_series: dict[str, list[DLInfoRow]] = defaultdict(list)
        self.by_study: dict[tuple[int, int], list[DLInfoRow]] = defaultdict(list)
        for r in rows:
            self.by_series[r.series_key].append(r)
            self.by_study[(r.patient, r.study)].append(r)

    def find(self, slice_relpath: str, coordinates) -> DLInfoRow | None:
        """The row whose key slice is ``<series>/<slice>.png`` and whose RECIST endpoints match."""
        m = re.fullmatch(r"(\d+_\d+_\d+)/(\d+)\.png", str(slice_relpath).strip())
        if not m:
            return None
        series, number = m.group(1), int(m.group(2))
        coords = np.asarray(coordinates, dtype=float)
        best, err = None, math.inf
        for r in self.by_series.get(series, []):
            if r.key_slice == number:
                e = float(np.abs(np.asarray(r.recist) - coords).max())
                if e < err:
                    best, err = r, e
        return best if err <= _COORD_TOLERANCE_PX else None


def load_tracking_pairs(path: str | Path) -> dict[str, dict]:
    """Read a DLT pair file (``{"0001": {"source": ..., "target": ..., ...}, ...}``)."""
    path = Path(path)
    data = read_json(path)
    needed = ("source recist slice", "source recist coordinate", "target recist slice", "target recist coordinate")
    if not isinstance(data, dict) or not data:
        raise InputError(path, "expected a JSON object of tracking pairs keyed by pair id")
    for pid, pair in data.items():
        missing = [k for k in needed if not isinstance(pair, dict) or k not in pair]
        if missing:
            raise InputError(path, f"pair {pid} lacks {', '.join(missing)}: not a DLT tracking-pair file")
        for side in ("source", "target"):
            if not isinstance(pair[f"{side} recist slice"], str):
                raise InputError(path, f"pair {pid}: '{side} recist slice' must be a slice file name such as "
                                       f"'000016_01_01/008.png', got {pair[f'{side} recist slice']!r}")
            finite_point(pair[f"{side} recist coordinate"], f"'{side} recist coordinate'", f"{path}: pair {pid}",
                         size=8)   # the four RECIST endpoints x1 y1 ... x4 y4 in pixels
    return data


def _position_mm(r: DLInfoRow) -> np.ndarray:
    """RECIST centre in the series' local LPS mm frame (`deepradiology.deeplesion`)."""
    x, y = r.recist_centre_px
    return np.asarray(r.pixel_to_lps(x, y), dtype=float)


def _log_size(r: DLInfoRow) -> float:
    return math.log(max(1.0, sum(r.diameters_mm) / 2.0))


def _same_lesion_in_one_study(a: DLInfoRow, b: DLInfoRow) -> bool:
    """Two records of one study (series share the scanner frame) whose centres lie inside each other's extent."""
    reach = max(a.diameters_mm[0], b.diameters_mm[0]) / 2.0
    return float(np.linalg.norm(_position_mm(a) - _position_mm(b))) < reach


def _source_side(source: DLInfoRow, sources: list[DLInfoRow], target_series: str) -> list[DLInfoRow]:
    """The source study's lesions for the joint choice: intra-study merge across series (module docstring).

    The source's own series is kept whole (one series lists distinct lesions); a lesion of another series
    is dropped when it is the same lesion as one already kept; the target series is never a source.
    """
    kept = [r for r in sources if r.series_key == source.series_key and r.series_key != target_series]
    if source not in kept:
        kept.insert(0, source)
    for r in sources:
        if r.series_key in (source.series_key, target_series):
            continue
        if (r.patient, r.study) == (source.patient, source.study) and any(_same_lesion_in_one_study(r, k) for k in kept):
            continue
        kept.append(r)
    return kept


def _cost_matrix(sources, targets, shift_norm, shift_mm, frame_study, w: DLSWeights) -> np.ndarray:
    c = np.zeros((len(sources), len(targets)))
    for i, a in enumerate(sources):
        for j, b in enumerate(targets):
            d = np.linalg.norm(np.subtract(b.normalized_location, a.normalized_location) - shift_norm) / w.location_sigma
            if shift_mm is not None and (a.patient, a.study) == frame_study:
                # Two location readings of the same lesion: average them rather than count twice.
                d = 0.5 * (d + np.linalg.norm(_position_mm(b) - _position_mm(a) - shift_mm) / w.mm_sigma)
            d += w.size_weight * abs(_log_size(a) - _log_size(b))
            if a.lesion_type > 0 and b.lesion_type > 0 and a.lesion_type != b.lesion_type:
                d += w.type_weight
            c[i, j] = d
    return c


def _assign(cost: np.ndarray, miss: float, must: int | None) -> dict[int, int]:
    from scipy.optimize import linear_sum_assignment

    n, m = cost.shape
    pad = np.full((n, n), 1e6)
    np.fill_diagonal(pad, miss)
    if must is not None:
        pad[must, must] = 1e6   # the pair's source lesion is known to be in the target series
    rows, cols = linear_sum_assignment(np.hstack([cost, pad]))
    return {int(i): int(j) for i, j in zip(rows, cols) if j < m and cost[i, j] < 1e5}


def match_study_pair(source: DLInfoRow, sources: list[DLInfoRow], candidates: list[DLInfoRow], *,
                     weights: DLSWeights = DLSWeights()) -> tuple[DLInfoRow, float]:
    """Choose ``source``'s match among ``candidates`` jointly with all ``sources`` of its study.

    Returns:
        (chosen candidate, its cost in match units).
    """
    if not candidates:
        raise InputError(source.file_name, "no candidate lesions in the target series")
    target_series = candidates[0].series_key
    sources = _source_side(source, sources, target_series)
    must = sources.index(source)
    frame = (source.patient, source.study)
    # Series of one study share the scanner frame: a target series of the source's own study needs no
    # mm shift; otherwise series frames have arbitrary origins and the shift is estimated below.
    one_frame = (candidates[0].patient, candidates[0].study) == frame
    shift_norm, shift_mm = np.zeros(3), (np.zeros(3) if one_frame else None)
    for _ in range(max(1, weights.rounds)):
        cost = _cost_matrix(sources, candidates, shift_norm, shift_mm, frame, weights)
        chosen = _assign(cost, weights.miss_cost, must)
        pairs = [(sources[i], candidates[j]) for i, j in chosen.items()]
        # Shrink the shift toward 0 with one pseudo-pair: with few lesions the estimate is noisy, and
        # normalised coordinates are already meant to agree between studies.
        diffs = [np.subtract(b.normalized_location, a.normalized_location) for a, b in pairs]
        shift_norm = np.sum(diffs, axis=0) / (len(diffs) + 1.0) if diffs else np.zeros(3)
        if one_frame:
            continue
        framed = [(a, b) for a, b in pairs if (a.patient, a.study) == frame]
        # The mm cue needs at least two matched lesions to place the target series' origin.
        shift_mm = np.median([_position_mm(b) - _position_mm(a) for a, b in framed], axis=0) if len(framed) >= 2 else None
    cost = _cost_matrix(sources, candidates, shift_norm, shift_mm, frame, weights)
    chosen = _assign(cost, weights.miss_cost, must)
    j = chosen.get(must, int(np.argmin(cost[must])))
    return candidates[j], float(cost[must, j])


def dlt_snapped_choice(pair: dict, candidates: list[DLInfoRow]) -> DLInfoRow | None:
    """DLT's ``predict target center`` snapped to the nearest candidate (mm, the series' local frame)."""
    centre = pair.get("predict target center")
    m = re.search(r"_(\d+)-(\d+)\.nii", str(pair.get("target", "")))
    if centre is None or not m or not candidates:
        return None
    first = int(m.group(1))
    sx, sy, sz = candidates[0].spacing
    x, y, z = (float(v) for v in centre)
    point = np.array([x * sx, y * sy, (first + z - 1) * sz])   # slice numbers are 1-based, like key_slice
    return min(candidates, key=lambda r: float(np.linalg.norm(_position_mm(r) - point)))


def _one_at_a_time(source: DLInfoRow, candidates: list[DLInfoRow], w: DLSWeights) -> dict[str, np.ndarray]:
    """Reference choices without the joint view: nearest normalised location, and location + size."""
    location = np.array([np.linalg.norm(np.subtract(c.normalized_location, source.normalized_location))
                         for c in candidates]) / w.location_sigma
    size = np.array([w.size_weight * abs(_log_size(source) - _log_size(c)) for c in candidates])
    return {"nearest_location": location, "location_and_size": location + size}


def evaluate_tracking_pairs(pairs: dict[str, dict], rows: list[DLInfoRow], *,
                            weights: DLSWeights = DLSWeights()) -> tuple[dict[str, dict], dict]:
    """Choose a match for every pair and score it, with DLT's snapped choice on the same pairs.

    Returns:
        (predictions by pair id as ``{"file_name", "measurement_coordinates"}``, summary dict with
        pairs, identification accuracy, DLT's snapped accuracy and skipped pairs with reasons).
    """
    index = DLIndex(rows)
    predictions, skipped, right, dlt_right, dlt_known = {}, {}, 0, 0, 0
    alone = {"nearest_location": 0, "location_and_size": 0}   # one lesion at a time, for reference
    counts: list[int] = []
    for pid, pair in pairs.items():
        source = index.find(pair["source recist slice"], pair["source recist coordinate"])
        truth = index.find(pair["target recist slice"], pair["target recist coordinate"])
        if source is None or truth is None:
            which = "source" if source is None else "target"
            skipped[pid] = f"the {which} lesion is not in DL_info.csv"
            continue
        candidates = index.by_series[truth.series_key]
        counts.append(len(candidates))
        chosen, _ = match_study_pair(source, index.by_study[(source.patient, source.study)], candidates,
                                     weights=weights)
        predictions[pid] = {"file_name": chosen.file_name, "measurement_coordinates": list(chosen.recist)}
        right += chosen is truth
        for name, cost in _one_at_a_time(source, candidates, weights).items():
            alone[name] += candidates[int(np.argmin(cost))] is truth
        dlt = dlt_snapped_choice(pair, candidates)
        if dlt is not None:
            dlt_known += 1
            dlt_right += dlt is truth
    n = len(predictions)
    summary = {
        "pairs": len(pairs), "evaluated": n, "skipped": skipped,
        "identification_accuracy": round(right / n, 4) if n else None,
        "dlt_snapped_accuracy": round(dlt_right / dlt_known, 4) if dlt_known else None,
        "dlt_pairs": dlt_known,
        "one_lesion_at_a_time": {f"{k}_accuracy": round(v / n, 4) if n else None for k, v in alone.items()},
        "mean_candidates": round(float(np.mean(counts)), 2) if counts else None,
        "weights": weights.to_dict(),
        "note": "DLT searched the raw images for the lesion; this method chooses among the lesions DL_info.csv "
                "lists in the target series, an easier task. DLT's accuracy here is its predicted centre snapped "
                "to the nearest listed lesion.",
    }
    return predictions, summary
