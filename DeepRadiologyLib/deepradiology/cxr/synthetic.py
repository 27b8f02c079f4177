"""Synthetic chest radiographs with findings planted at known places: ground truth for the image pipeline.

No real weights ship and no training set can be downloaded, so the image pipeline proves that it
learns, and that its heatmaps point at the right place, on films made here: a bright body, two dark
lung fields with rib shadows, a heart, noise; and four findings drawn the way they look on a film:

* ``Cardiomegaly``: the heart's width beyond half of the chest's (box: the heart);
* ``Effusion``: a bright layer with a meniscus filling one lung base (box: the layer);
* ``Mass``: a round bright opacity in one lung, 11-15 % of the film's width (box: the opacity);
* ``Pneumothorax``: a dark band without lung markings along one lung apex/edge (box: the band).

Each finding is present with probability ``prevalence``, independently. Arrays are (rows, cols),
grey values in [0, 1] with bright = dense, pixel (0, 0) at the top left; boxes are (x, y, w, h) in
pixels with x along columns, as in ``BBox_List_2017.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SYNTHETIC_FINDINGS", "SyntheticFilm", "synthetic_film", "synthetic_films"]

SYNTHETIC_FINDINGS = ("Cardiomegaly", "Effusion", "Mass", "Pneumothorax")


@dataclass
class SyntheticFilm:
    """One synthetic frontal film: ``array`` (rows, cols) in [0, 1], its 0/1 ``labels`` in
    `SYNTHETIC_FINDINGS` order, and ``boxes`` ``{finding: (x, y, w, h)}`` in pixels."""

    array: np.ndarray
    labels: np.ndarray
    boxes: dict = field(default_factory=dict)


def _ellipse(yy, xx, cy, cx, ry, rx):
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0


def _smooth_noise(rng, size, scale):
    coarse = rng.normal(0, 1, (size // 8 + 2, size // 8 + 2))
    # Bilinear upsampling of coarse noise: soft tissue and exposure variation.
    ys = np.linspace(0, coarse.shape[0] - 1.001, size)
    xs = np.linspace(0, coarse.shape[1] - 1.001, size)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    c = coarse
    out = (c[y0][:, x0] * (1 - fy) * (1 - fx) + c[y0 + 1][:, x0] * fy * (1 - fx)
           + c[y0][:, x0 + 1] * (1 - fy) * fx + c[y0 + 1][:, x0 + 1] * fy * fx)
    return out * scale


def synthetic_film(rng: np.random.Generator, *, size: int = 128, prevalence: float = 0.35) -> SyntheticFilm:
    """One film of ``size`` x ``size`` pixels; see the module docstring for what is drawn."""
    s = size
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    img = np.full((s, s), 0.15, np.float32)  # air outside the body
    body = _ellipse(yy, xx, 0.58 * s, 0.5 * s, 0.62 * s, 0.56 * s)  # the chest fills the film
    img[body] = 0.62
    # Lungs: two dark fields; their positions vary a little from patient to patient.
    jitter = rng.uniform(-0.02, 0.02, 4) * s
    lungs = []
    for side in (-1, 1):
        cy, cx = 0.47 * s + jitter[0], 0.5 * s + side * (0.2 * s + jitter[1])
        ry, rx = 0.3 * s + jitter[2], 0.13 * s + jitter[3] * 0.5
        lungs.append((cy, cx, ry, rx))
        img[_ellipse(yy, xx, cy, cx, ry, rx)] = 0.28
    lung_mask = np.zeros((s, s), bool)
    for cy, cx, ry, rx in lungs:
        lung_mask |= _ellipse(yy, xx, cy, cx, ry, rx)
    # Ribs: curved bright bands across the lungs; lung markings: faint texture.
    phase = rng.uniform(0, 2 * np.pi)
    ribs = 0.06 * (np.sin(2 * np.pi * (yy + 0.002 * (xx - s / 2) ** 2) / (0.09 * s) + phase) > 0.55)
    markings = _smooth_noise(rng, s, 0.025)
    img += np.where(lung_mask, ribs + markings, 0)
    labels = (rng.random(len(SYNTHETIC_FINDINGS)) < prevalence).astype(np.float32)
    boxes = {}
    # Heart: normal width about 0.38 of the chest; cardiomegaly well above half.
    big_heart = labels[0] > 0
    hw = (rng.uniform(0.29, 0.33) if big_heart else rng.uniform(0.17, 0.21)) * s
    hcx, hcy, hh = 0.53 * s, 0.66 * s, rng.uniform(0.14, 0.17) * s
    heart = _ellipse(yy, xx, hcy, hcx, hh, hw / 2)
    img[heart] = 0.66
    if big_heart:
        boxes["Cardiomegaly"] = (hcx - hw / 2, hcy - hh, hw, 2 * hh)
    side = rng.integers(0, 2)
    if labels[1]:
        cy, cx, ry, rx = lungs[side]
        top = cy + ry * rng.uniform(0.25, 0.5)
        meniscus = top + 0.06 * s * ((xx - cx) / rx) ** 2 * (1 if side == 0 else 1)
        layer = _ellipse(yy, xx, cy, cx, ry, rx) & (yy >= meniscus)
        img[layer] = 0.6
        ys, xs = np.nonzero(layer)
        boxes["Effusion"] = (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    if labels[2]:
        cy, cx, ry, rx = lungs[rng.integers(0, 2)]
        r = rng.uniform(0.055, 0.075) * s
        for _ in range(20):  # a place well inside the lung, above any effusion
            ny, nx = cy + rng.uniform(-0.6, 0.2) * ry, cx + rng.uniform(-0.6, 0.6) * rx
            if _ellipse(np.array(ny), np.array(nx), cy, cx, ry * 0.8, rx * 0.8):
                break
        spot = _ellipse(yy, xx, ny, nx, r, r)
        img[spot] = 0.62
        boxes["Mass"] = (nx - r, ny - r, 2 * r, 2 * r)
    if labels[3]:
        cy, cx, ry, rx = lungs[1 - side]
        outer = _ellipse(yy, xx, cy, cx, ry, rx)
        inner = _ellipse(yy, xx, cy + 0.18 * ry, cx - (1 if side == 0 else -1) * 0.0 * rx, ry * 0.82, rx * 0.7)
        band = outer & ~inner & (yy < cy + 0.1 * ry)
        img[band] = 0.12  # air without markings
        ys, xs = np.nonzero(band)
        boxes["Pneumothorax"] = (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    img += _smooth_noise(rng, s, 0.03) + rng.normal(0, 0.02, (s, s)).astype(np.float32)
    return SyntheticFilm(np.clip(img, 0, 1).astype(np.float32), labels,
                         {k: tuple(float(v) for v in b) for k, b in boxes.items()})


def synthetic_films(n: int, *, seed: int = 0, size: int = 128, prevalence: float = 0.35) -> list[SyntheticFilm]:
    """``n`` films from one seed (the same seed gives the same films)."""
    rng = np.random.default_rng(seed)
    return [synthetic_film(rng, size=size, prevalence=prevalence) for _ in range(n)]
