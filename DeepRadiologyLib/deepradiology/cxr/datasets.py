"""Torch datasets of standardised films: in-memory arrays (synthetic films) or ChestX-ray14 files on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .preprocess import resize_film, standardise

__all__ = ["ArrayFilms", "FileFilms", "read_training_film"]


def _dataset_base():
    from torch.utils.data import Dataset

    return Dataset


def read_training_film(path: str | Path, size: int) -> np.ndarray:
    """A ChestX-ray14 PNG (8-bit grey) -> (size, size) standardised float32, fast path without checks."""
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            a = np.asarray(im, np.float32)
            lo, hi = np.percentile(a, (0.5, 99.5))
            unit = np.clip((a - lo) / max(hi - lo, 1e-6), 0, 1)
        else:
            unit = np.asarray(im.convert("L"), np.float32) / 255.0
    return standardise(resize_film(unit, size))


class ArrayFilms(_dataset_base()):
    """Films already in memory: ``films`` (N, rows, cols) in [0, 1] and ``labels`` (N, C)."""

    def __init__(self, films: np.ndarray, labels: np.ndarray, *, size: int | None = None,
                 shift_pixels: int = 0, seed: int = 0) -> None:
        self.films = np.asarray(films, np.float32)
        self.labels = np.asarray(labels, np.float32)
        self.size = size or self.films.shape[-1]
        self.shift = int(shift_pixels)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.films)

    def __getitem__(self, index: int):
        import torch

        film = self.films[index]
        if film.shape[-1] != self.size:
            film = resize_film(film, self.size)
        if self.shift:
            # Small random translations: positioning differs from film to film.
            dy, dx = self.rng.integers(-self.shift, self.shift + 1, 2)
            film = np.roll(film, (int(dy), int(dx)), axis=(0, 1))
        return torch.as_tensor(standardise(film))[None], torch.as_tensor(self.labels[index])


class FileFilms(_dataset_base()):
    """ChestX-ray14 films read from disk on demand (``paths`` and ``labels`` (N, C))."""

    def __init__(self, paths: list[Path], labels: np.ndarray, *, size: int) -> None:
        self.paths = list(paths)
        self.labels = np.asarray(labels, np.float32)
        self.size = size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        import torch

        return (torch.as_tensor(read_training_film(self.paths[index], self.size))[None],
                torch.as_tensor(self.labels[index]))
