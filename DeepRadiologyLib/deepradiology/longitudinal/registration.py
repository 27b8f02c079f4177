"""Align a follow-up CT to the baseline without learned weights: rigid, then affine (SimpleITK).

The result is a 4x4 matrix in LPS mm that takes a point of the follow-up study to the same anatomy in
the baseline study (``baseline_lps = M @ [follow_up_lps, 1]``). It is stored as JSON and reused, so a
pair of studies is registered once. Both images are resampled to one isotropic working grid first,
which makes the method indifferent to slice spacing; the metric (Mattes mutual information) is
sampled only inside the body, and the start pose comes from the body's centre of mass, which copes
with different fields of view. A registration that fails or lands on an implausible pose is reported
(``converged=False`` and a message) and replaced by the identity with a lowered confidence: never
silently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..image import Image
from ..progress import ProgressCallback, report
from ..io.jsonfile import interpreting, read_json

__all__ = ["StudyAlignment", "register_follow_up", "identity_alignment", "save_alignment", "load_alignment",
           "UNREGISTERED_CONFIDENCE"]

#: Confidence factor given to matches made without a usable registration (identity fallback).
UNREGISTERED_CONFIDENCE = 0.5
_BODY_HU = -500.0           # air / body boundary used for the body mask
_MAX_SCALE_CHANGE = 0.25    # an affine scale outside [0.75, 1.25] is not a plausible patient pose
_MAX_ROTATION_DEG = 30.0
_MAX_SHIFT_MM = 200.0


@dataclass
class StudyAlignment:
    """Where a follow-up study's anatomy lies in the baseline study.

    Attributes:
        baseline, follow_up: study ids.
        matrix_lps: 4x4 nested list, follow-up LPS mm -> baseline LPS mm.
        converged: False when registration failed or gave an implausible pose (identity used instead).
        method: "rigid+affine", "rigid", "identity" (same study or asked for) or "identity (fallback)".
        confidence: factor in (0, 1] applied to every match confidence between these two studies.
        metric: final Mattes mutual information (lower is better), None when not registered.
        message: what happened, in words.
    """

    baseline: str
    follow_up: str
    matrix_lps: list = field(default_factory=lambda: np.eye(4).tolist())
    converged: bool = True
    method: str = "identity"
    confidence: float = 1.0
    metric: float | None = None
    message: str = ""

    @property
    def matrix(self) -> np.ndarray:
        return np.asarray(self.matrix_lps, dtype=float)

    def map_points(self, points_lps) -> np.ndarray:
        """Follow-up LPS mm points (..., 3) -> baseline LPS mm."""
        pts = np.asarray(points_lps, dtype=float)
        m = self.matrix
        return pts @ m[:3, :3].T + m[:3, 3]

    def to_dict(self) -> dict:
        return {"baseline": self.baseline, "follow_up": self.follow_up, "frame": "LPS",
                "maps": "follow-up mm -> baseline mm", "matrix_lps": self.matrix.tolist(),
                "converged": self.converged, "method": self.method, "confidence": self.confidence,
                "metric": self.metric, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "") -> StudyAlignment:
        try:
            m = np.asarray(data["matrix_lps"], dtype=float)
            if m.shape != (4, 4) or not np.all(np.isfinite(m)) or abs(np.linalg.det(m[:3, :3])) < 1e-6:
                raise ValueError("matrix_lps must be an invertible 4x4 matrix of finite numbers")
            return cls(str(data["baseline"]), str(data["follow_up"]), m.tolist(), bool(data.get("converged", True)),
                       str(data.get("method", "")), float(data.get("confidence", 1.0)), data.get("metric"),
                       str(data.get("message", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(source, f"not a study alignment: {exc}") from None


def identity_alignment(baseline: str, follow_up: str, *, fallback_reason: str = "") -> StudyAlignment:
    """No registration: the identity, with lowered confidence when it stands in for a failed one."""
    if fallback_reason:
        return StudyAlignment(baseline, follow_up, converged=False, method="identity (fallback)",
                              confidence=UNREGISTERED_CONFIDENCE,
                              message=f"registration of {follow_up} to {baseline} failed ({fallback_reason}); "
                                      "matching without registration, with lowered confidence")
    return StudyAlignment(baseline, follow_up, message="not registered (identity)")


def save_alignment(alignment: StudyAlignment, path: str | Path, *, force: bool = False) -> Path:
    """Write the alignment as JSON (refuses to overwrite without ``force``)."""
    from ..io.write import prepare_output

    path = prepare_output(path, force=force)
    path.write_text(json.dumps(alignment.to_dict(), indent=2), encoding="utf-8")
    return path


def load_alignment(path: str | Path) -> StudyAlignment:
    path = Path(path)
    data = read_json(path, expect=dict, what="alignment file")
    with interpreting(path, "alignment file"):
        return StudyAlignment.from_dict(data, source=str(path))


# --- registration -----------------------------------------------------------------------------

def _working_image(image: Image, grid_mm: float):
    """Smooth, resample to an isotropic ``grid_mm`` grid, clamp HU; returns (image, body mask)."""
    import SimpleITK as sitk

    img = sitk.Cast(image.to_sitk(), sitk.sitkFloat32)
    size = [int(math.ceil(n * s / grid_mm)) for n, s in zip(img.GetSize(), img.GetSpacing())]
    sigma = [max(0.0, (grid_mm - s) / 2.0) for s in img.GetSpacing()]
    if max(sigma) > 0:
        img = sitk.SmoothingRecursiveGaussian(img, [max(s, 0.01) for s in sigma])
    img = sitk.Resample(img, [max(n, 4) for n in size], sitk.Transform(), sitk.sitkLinear, img.GetOrigin(),
                        [grid_mm] * 3, img.GetDirection(), -1000.0, sitk.sitkFloat32)
    img = sitk.Clamp(img, sitk.sitkFloat32, -1000.0, 1500.0)
    body = sitk.BinaryThreshold(img, _BODY_HU, 1e9, 1, 0)
    return img, body


def _affine_matrix(transform) -> np.ndarray:
    """4x4 of an ITK matrix-offset transform: x -> A (x - c) + c + t (fixed -> moving points)."""
    a = np.asarray(transform.GetMatrix(), dtype=float).reshape(3, 3)
    c = np.asarray(transform.GetCenter(), dtype=float)
    t = np.asarray(transform.GetTranslation(), dtype=float)
    m = np.eye(4)
    m[:3, :3] = a
    m[:3, 3] = c + t - a @ c
    return m


def _implausible(m: np.ndarray, centre: np.ndarray) -> str:
    """Why a follow-up -> baseline matrix is not a plausible patient pose ("" when it is).

    The shift is measured at ``centre`` (the baseline body's centre, LPS mm), not at the LPS origin,
    which may lie a metre away from the patient.
    """
    a = m[:3, :3]
    u, s, vt = np.linalg.svd(a)
    if np.any(np.abs(s - 1.0) > _MAX_SCALE_CHANGE):
        return f"scale factors {np.round(s, 3).tolist()} are beyond +/-{int(_MAX_SCALE_CHANGE * 100)} %"
    r = u @ vt
    angle = math.degrees(math.acos(max(-1.0, min(1.0, (np.trace(r) - 1) / 2))))
    if angle > _MAX_ROTATION_DEG:
        return f"rotation of {angle:.0f} degrees is beyond {_MAX_ROTATION_DEG:.0f}"
    shift = float(np.linalg.norm(a @ centre + m[:3, 3] - centre))
    if shift > _MAX_SHIFT_MM:
        return f"shift of {shift:.0f} mm is beyond {_MAX_SHIFT_MM:.0f} mm"
    return ""


def _run(fixed, moving, initial, fixed_mask, iterations: int, shrink: tuple[int, ...], progress=None,
         span: tuple[float, float] = (0.0, 1.0), stage: str = "registration"):
    """One multi-resolution registration; ``progress`` is called at every optimiser iteration.

    A `Cancelled` raised by ``progress`` must not leave SimpleITK's observer: it would come out of
    ``Execute`` as a RuntimeError (read by the caller as a failed registration, identity fallback) and
    SimpleITK prints its traceback. So the observer keeps it and asks the optimiser to stop
    (``StopRegistration`` ends the current level; each later level is ended at its first event), and
    it is raised once ``Execute`` returns.
    """
    import SimpleITK as sitk

    from ..progress import Cancelled

    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(0.1, seed=7)   # fixed seed: the same pair always gives the same result
    reg.SetMetricFixedMask(fixed_mask)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(learningRate=2.0, minStep=1e-3, numberOfIterations=iterations,
                                                 gradientMagnitudeTolerance=1e-6)
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel(list(shrink))
    reg.SetSmoothingSigmasPerLevel([max(0, s - 1) for s in shrink])
    reg.SetInitialTransform(initial, inPlace=False)
    cancelled: list[Cancelled] = []
    steps = max(1, iterations * len(shrink))

    def on_iteration() -> None:
        if cancelled:
            reg.StopRegistration()
            return
        level, it = reg.GetCurrentLevel(), reg.GetOptimizerIteration()
        try:
            report(progress, span[0] + (span[1] - span[0]) * min(1.0, (level * iterations + it) / steps),
                   f"{stage}: level {level + 1}/{len(shrink)}, iteration {it}")
        except Cancelled as exc:
            cancelled.append(exc)
            reg.StopRegistration()

    if progress is not None:
        reg.AddCommand(sitk.sitkIterationEvent, on_iteration)
        reg.AddCommand(sitk.sitkMultiResolutionIterationEvent, on_iteration)
    out = reg.Execute(fixed, moving)
    if cancelled:
        raise cancelled[0]
    return out, reg.GetMetricValue(), reg.GetOptimizerStopConditionDescription()


def register_follow_up(baseline: Image, follow_up: Image, *, baseline_id: str = "baseline",
                       follow_up_id: str = "follow-up", affine: bool = True, grid_mm: float = 4.0,
                       iterations: int = 100, progress: ProgressCallback | None = None) -> StudyAlignment:
    """Register ``follow_up`` to ``baseline``: rigid (Euler) then affine, on an isotropic ``grid_mm`` grid.

    Args:
        baseline, follow_up: CT volumes in HU with LPS geometry; any spacing and field of view.
        affine: refine the rigid pose with a 12-parameter affine (False: rigid only).
        grid_mm: working voxel size in mm; 4 mm keeps a 512x512x300 pair well under a minute.
        iterations: optimiser iterations per resolution level.
        progress: called before each stage and at every optimiser iteration; it may raise `Cancelled`,
            which stops the optimiser and comes out of this function (no alignment is returned).

    Returns:
        A `StudyAlignment` (follow-up LPS -> baseline LPS). When the optimiser fails or the pose is
        implausible (scale beyond 25 %, rotation beyond 30 degrees, shift beyond 200 mm) it is the
        identity with ``converged=False``, confidence `UNREGISTERED_CONFIDENCE` and the reason.
    """
    import SimpleITK as sitk

    for name, img in (("baseline", baseline), ("follow-up", follow_up)):
        if img.is_2d:
            raise InputError(img.source or name, "registration needs a 3D volume, got a single slice")
    report(progress, 0.0, f"preparing {follow_up_id} and {baseline_id}")
    fixed, fixed_body = _working_image(baseline, grid_mm)
    report(progress, 0.1, f"preparing {follow_up_id}")
    moving, moving_body = _working_image(follow_up, grid_mm)
    try:
        if sitk.GetArrayViewFromImage(fixed_body).sum() < 100 or sitk.GetArrayViewFromImage(moving_body).sum() < 100:
            raise RuntimeError("no body found above -500 HU in one of the volumes")
        initial = sitk.CenteredTransformInitializer(fixed_body, moving_body, sitk.Euler3DTransform(),
                                                    sitk.CenteredTransformInitializerFilter.MOMENTS)
        report(progress, 0.2, "rigid registration")
        rigid, metric, stop = _run(fixed, moving, initial, fixed_body, iterations, (4, 2, 1), progress,
                                   (0.2, 0.6), "rigid registration")
        rigid = sitk.Euler3DTransform(sitk.CompositeTransform(rigid).GetNthTransform(0)) \
            if rigid.GetName() == "CompositeTransform" else sitk.Euler3DTransform(rigid)
        method = "rigid"
        final = rigid
        if affine:
            report(progress, 0.6, "affine registration")
            start = sitk.AffineTransform(3)
            start.SetMatrix(rigid.GetMatrix())
            start.SetCenter(rigid.GetCenter())
            start.SetTranslation(rigid.GetTranslation())
            aff, metric, stop = _run(fixed, moving, start, fixed_body, iterations, (2, 1), progress,
                                     (0.6, 1.0), "affine registration")
            final = sitk.AffineTransform(sitk.CompositeTransform(aff).GetNthTransform(0)) \
                if aff.GetName() == "CompositeTransform" else sitk.AffineTransform(aff)
            method = "rigid+affine"
    except RuntimeError as exc:  # SimpleITK reports failures (e.g. no overlap) as RuntimeError
        report(progress, 1.0, "registration failed")
        return identity_alignment(baseline_id, follow_up_id, fallback_reason=str(exc).strip().splitlines()[-1][:200])
    baseline_to_follow = _affine_matrix(final)
    matrix = np.linalg.inv(baseline_to_follow)
    centre = np.asarray(initial.GetCenter(), dtype=float)
    why = _implausible(matrix, centre) or ("" if np.isfinite(metric) else "the metric is not finite")
    report(progress, 1.0, "registered")
    if why:
        return identity_alignment(baseline_id, follow_up_id, fallback_reason=why)
    return StudyAlignment(baseline_id, follow_up_id, matrix.tolist(), True, method, 1.0, float(metric),
                          f"{method} registration converged ({stop.strip()[:120]})")
