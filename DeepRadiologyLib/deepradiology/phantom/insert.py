"""Synthetic lesions inserted into a real CT, with analytic truth.

A real scan gives real anatomy, texture and noise; an ellipsoid added to it gives a lesion whose size is
known exactly. `resample_ct` puts the CT on a chosen grid (trilinear, or slab averages for thick
slices, as a scanner reconstructs them); `insert_ellipsoid` adds an ellipsoid's HU contrast with a
partial-volume edge (each voxel's exact inside fraction, super-sampled, then a Gaussian point spread).

The truth of an axial-slab ellipsoid (`ellipsoid_truth`) comes from its geometry alone: its volume
4/3 pi abc, and on the slice whose centre is nearest its equator the cross-section's long axis
2a sqrt(1 - dz^2 / c^2) (a >= b the in-plane semi-axes, c the through-plane one, dz the offset).

Arrays are [k, j, i]; spacings (i, j, k) in mm; centres in voxel indices (i, j, k) of the target grid.
"""

from __future__ import annotations

import numpy as np

from ..image import Image

__all__ = ["resample_ct", "insert_ellipsoid", "ellipsoid_truth"]


def resample_ct(ct: Image, spacing, *, box_ijk=None, slab: bool = False) -> Image:
    """``ct`` on a grid of ``spacing`` (i, j, k mm) over ``box_ijk`` ((i0, j0, k0), (i1, j1, k1)) voxels of
    ``ct`` (all of it when None), same origin corner and axes.

    slab=False: trilinear interpolation. slab=True: each new slice is the mean of the source resampled
    at 1/4-slice steps through its thickness (a thick-slice reconstruction), in-plane trilinear.
    """
    from scipy import ndimage

    src = np.asarray(ct.array, dtype=np.float32)
    lo = np.zeros(3) if box_ijk is None else np.asarray(box_ijk[0], dtype=float)
    hi = np.array(src.shape[::-1], dtype=float) - 1 if box_ijk is None else np.asarray(box_ijk[1], dtype=float)
    old = np.asarray(ct.spacing, dtype=float)
    new = np.asarray(spacing, dtype=float)
    n = np.floor((hi - lo) * old / new).astype(int) + 1            # (ni, nj, nk)
    axes = [lo[d] + np.arange(n[d]) * new[d] / old[d] for d in range(3)]
    offsets = [0.0] if not slab else list((np.arange(4) + 0.5) / 4 - 0.5)
    out = np.zeros((n[2], n[1], n[0]), dtype=np.float32)
    kk, jj, ii = np.meshgrid(axes[2], axes[1], axes[0], indexing="ij")
    for off in offsets:
        k_src = kk + off * new[2] / old[2]
        out += ndimage.map_coordinates(src, [k_src, jj, ii], order=1, mode="nearest")
    out /= len(offsets)
    origin = ct.index_to_lps(lo)
    return Image(array=out, spacing=tuple(float(v) for v in new), origin=tuple(float(v) for v in origin),
                 direction=np.asarray(ct.direction), modality=ct.modality or "CT", source=ct.source, meta=dict(ct.meta))


def _inside_fraction(shape, spacing, centre, semi_axes, angle_deg, sub: int = 4):
    """Exact-ish fraction of each voxel inside the ellipsoid (sub^3 samples a voxel), on its bounding box."""
    a, b, c = semi_axes
    sx, sy, sz = spacing
    reach = np.array([max(a, b) / sx, max(a, b) / sy, c / sz]) + 1.5
    lo = np.maximum(np.floor(np.asarray(centre) - reach).astype(int), 0)
    hi = np.minimum(np.ceil(np.asarray(centre) + reach).astype(int) + 1, np.array(shape[::-1]))
    box = tuple(slice(lo[d], hi[d]) for d in (2, 1, 0))
    t = np.radians(angle_deg)
    frac = np.zeros(tuple(hi[d] - lo[d] for d in (2, 1, 0)), dtype=np.float32)
    steps = (np.arange(sub) + 0.5) / sub - 0.5
    k, j, i = np.meshgrid(*(np.arange(lo[d], hi[d], dtype=float) for d in (2, 1, 0)), indexing="ij")
    for dk in steps:
        z = (k + dk - centre[2]) * sz
        for dj in steps:
            y = (j + dj - centre[1]) * sy
            for di in steps:
                x = (i + di - centre[0]) * sx
                u = np.cos(t) * x + np.sin(t) * y
                v = -np.sin(t) * x + np.cos(t) * y
                frac += ((u / a) ** 2 + (v / b) ** 2 + (z / c) ** 2 <= 1.0)
    return box, frac / sub ** 3


def insert_ellipsoid(ct: Image, centre_ijk, semi_axes_mm, *, contrast_hu: float, angle_deg: float = 0.0,
                     blur_mm: float = 0.7, sub: int = 4) -> Image:
    """``ct`` with an ellipsoid lesion added: each voxel gains ``contrast_hu`` times its inside fraction
    (the lesion keeps the tissue's texture and noise, shifted by the contrast: < 0 hypodense, > 0
    hyperdense), the fraction blurred by a Gaussian of ``blur_mm`` sigma (the scanner's point spread).

    centre_ijk: voxel (i, j, k) of ``ct``; semi_axes_mm: (a, b, c), a and b in-plane (a along
    ``angle_deg`` from the i axis toward j), c along k.
    """
    from scipy import ndimage

    box, frac = _inside_fraction(ct.array.shape, ct.spacing, centre_ijk, semi_axes_mm, angle_deg, sub)
    if blur_mm > 0:
        sigma = [blur_mm / ct.spacing[2], blur_mm / ct.spacing[1], blur_mm / ct.spacing[0]]
        frac = ndimage.gaussian_filter(np.pad(frac, 3), sigma=sigma, mode="constant")[3:-3, 3:-3, 3:-3]
    array = np.asarray(ct.array, dtype=np.float32).copy()
    array[box] += float(contrast_hu) * frac
    return ct.with_array(array)


def ellipsoid_truth(spacing, centre_ijk, semi_axes_mm) -> dict:
    """Analytic truth of an ellipsoid on an axial grid: {"volume_ml", "key_slice", "long_axis_mm",
    "short_axis_mm", "depth_mm"}. The key slice is the slice whose centre is nearest the equator
    (the largest cross-section); its axes are the in-plane diameters scaled by sqrt(1 - dz^2/c^2)."""
    a, b, c = semi_axes_mm
    k_c = float(centre_ijk[2])
    key = int(np.floor(k_c + 0.5))
    dz = (key - k_c) * float(spacing[2])
    scale = np.sqrt(max(0.0, 1.0 - (dz / c) ** 2))
    return {"volume_ml": 4.0 / 3.0 * np.pi * a * b * c / 1000.0, "key_slice": key,
            "long_axis_mm": 2.0 * max(a, b) * scale, "short_axis_mm": 2.0 * min(a, b) * scale,
            "depth_mm": 2.0 * c}
