"""The training and evaluation recipes, on synthetic films or on ChestX-ray14's own layout.

Both recipes split the data three ways: training, validation (operating points are chosen there)
and a held-out test set (the figures written into the model card are measured there only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..reports.vocabulary import FINDINGS
from .data import (find_data_entry, find_images, label_matrix, official_split, patient_split, read_bbox_list,
                   read_data_entry)
from .datasets import ArrayFilms, FileFilms
from .evaluate import boxes_for_finding, finding_aucs, localisation_accuracy
from .network import build_network
from .synthetic import SYNTHETIC_FINDINGS, synthetic_films
from .train import choose_operating_points, predict_dataset, train_network

__all__ = ["train_synthetic", "evaluate_synthetic", "chestxray14_splits", "train_chestxray14",
           "evaluate_chestxray14", "SMALL_NETWORK"]

#: The CPU-sized network used for synthetic films (a thin DenseNet, 16 x 16 heatmaps on 128 pixels).
SMALL_NETWORK = {"backbone": "small", "transition_channels": 64, "pooling": "lse", "lse_r": 5.0}


def _films_dataset(films, *, shift: int = 0, seed: int = 0) -> ArrayFilms:
    return ArrayFilms(np.stack([f.array for f in films]), np.stack([f.labels for f in films]), shift_pixels=shift,
                      seed=seed)


def evaluate_synthetic(network, films, *, size: int, threshold: float = 0.7) -> dict:
    """Per-finding AUC and IoBB localisation accuracy on synthetic films with planted boxes."""
    probs, maps = predict_dataset(network, _films_dataset(films), with_maps=True)
    labels = np.stack([f.labels for f in films])
    predicted, truths, names = [], [], []
    for i, film in enumerate(films):
        for name, box in film.boxes.items():
            c = SYNTHETIC_FINDINGS.index(name)
            predicted.append(boxes_for_finding(maps[i, c], (size, size), threshold=threshold))
            truths.append(box)
            names.append(name)
    return {"films": len(films), "auc": finding_aucs(probs, labels, SYNTHETIC_FINDINGS),
            "localisation": localisation_accuracy(predicted, truths, names)}


def train_synthetic(*, n_train: int = 320, n_val: int = 100, n_test: int = 100, size: int = 96, epochs: int = 8,
                    batch_size: int = 32, lr: float = 3e-3, seed: int = 0, network_config: dict | None = None,
                    progress=None) -> tuple[object, dict, dict]:
    """Train on synthetic films; returns (network, operating points, metrics on the held-out films)."""
    config = dict(SMALL_NETWORK, **(network_config or {}), num_classes=len(SYNTHETIC_FINDINGS))
    # Three seeds, three disjoint sets of films.
    train = synthetic_films(n_train, seed=seed * 3 + 1, size=size)
    val = synthetic_films(n_val, seed=seed * 3 + 2, size=size)
    test = synthetic_films(n_test, seed=seed * 3 + 3, size=size)
    import torch

    torch.manual_seed(seed)  # the same seed gives the same initial weights, so the same model
    network = build_network(**config)
    result = train_network(network, _films_dataset(train, shift=max(1, size // 32), seed=seed), epochs=epochs,
                           batch_size=batch_size, lr=lr, seed=seed, progress=progress)
    val_probs = predict_dataset(result.network, _films_dataset(val))
    points = choose_operating_points(val_probs, np.stack([f.labels for f in val]), SYNTHETIC_FINDINGS)
    metrics = {"test_films": n_test, **evaluate_synthetic(result.network, test, size=size),
               "training_seconds": round(result.seconds, 1), "final_loss": round(result.losses[-1], 4)}
    return result.network, points, metrics


def chestxray14_splits(folder: str | Path, *, seed: int = 0, max_images: int | None = None):
    """(train, val, test) record lists for the images present under ``folder``.

    The official ``train_val_list.txt``/``test_list.txt`` are used when present (validation: 1/8 of
    train_val's patients); otherwise a 70/10/20 patient-level split. Only frontal (PA/AP) films.

    Raises:
        InputError: no Data_Entry file, or no listed image found under the folder.
    """
    folder = Path(folder)
    records = read_data_entry(find_data_entry(folder))
    images = find_images(folder)
    records = [r for r in records if r.image in images and r.view in ("PA", "AP", "")]
    if not records:
        raise InputError(folder, "none of the images listed in Data_Entry_2017 is under this folder")
    if max_images:
        records = records[:max_images]
    lists = official_split(folder)
    if lists is not None:
        train_val = [r for r in records if r.image in lists[0]]
        test = [r for r in records if r.image in lists[1]]
        train, val, _ = patient_split(train_val, fractions=(7 / 8, 1 / 8, 0.0), seed=seed)
    else:
        train, val, test = patient_split(records, seed=seed)
    return train, val, test, images


def _file_dataset(records, images, size):
    return FileFilms([images[r.image] for r in records], label_matrix(records), size=size)


def train_chestxray14(folder: str | Path, *, size: int = 512, epochs: int = 10, batch_size: int = 16,
                      lr: float = 1e-3, seed: int = 0, network_config: dict | None = None,
                      max_images: int | None = None, workers: int = 4, progress=None):
    """Train on ChestX-ray14's layout; returns (network, operating points, test metrics) (on rank 0)."""
    train, val, test, images = chestxray14_splits(folder, seed=seed, max_images=max_images)
    if not train or not val:
        raise InputError(folder, f"too few images to train: {len(train)} training, {len(val)} validation films")
    config = dict({"backbone": "densenet121", "transition_channels": 1024, "pooling": "lse", "lse_r": 10.0},
                  **(network_config or {}), num_classes=len(FINDINGS))
    import torch

    torch.manual_seed(seed)
    network = build_network(**config)
    result = train_network(network, _file_dataset(train, images, size), epochs=epochs, batch_size=batch_size,
                           lr=lr, seed=seed, workers=workers, progress=progress)
    val_probs = predict_dataset(result.network, _file_dataset(val, images, size))
    points = choose_operating_points(val_probs, label_matrix(val), FINDINGS)
    metrics = {"train_films": len(train), "val_films": len(val), "test_films": len(test),
               "training_seconds": round(result.seconds, 1), "rank": result.rank, "world_size": result.world_size}
    if test:
        metrics["test_auc"] = finding_aucs(predict_dataset(result.network, _file_dataset(test, images, size)),
                                           label_matrix(test), FINDINGS)
    return result.network, points, metrics


def evaluate_chestxray14(model, folder: str | Path, *, bbox_list: str | Path | None = None, split: str = "test",
                         seed: int = 0, max_images: int | None = None, threshold: float = 0.7) -> dict:
    """Per-finding AUC on a split of the images present, and with ``bbox_list`` the IoBB accuracy on
    every boxed image present (boxes are in 1024-pixel coordinates; heatmaps are scaled to match)."""
    train, val, test, images = chestxray14_splits(folder, seed=seed, max_images=max_images)
    records = {"test": test, "val": val, "train": train, "all": train + val + test}[split]
    out = {"split": split, "films": len(records)}
    names = model.labels
    if records:
        probs = predict_dataset(model.network, _file_dataset(records, images, model.size))
        out["auc"] = finding_aucs(probs, label_matrix(records, names), names)
    if bbox_list is not None:
        boxes = [b for b in read_bbox_list(bbox_list) if b.image in images and b.finding in names]
        predicted = []
        for b in boxes:
            ds = FileFilms([images[b.image]], np.zeros((1, len(names)), np.float32), size=model.size)
            _, maps = predict_dataset(model.network, ds, with_maps=True)
            predicted.append(boxes_for_finding(maps[0, names.index(b.finding)], (1024, 1024), threshold=threshold))
        out["localisation"] = localisation_accuracy(predicted, [b.box for b in boxes], [b.finding for b in boxes])
    return out
