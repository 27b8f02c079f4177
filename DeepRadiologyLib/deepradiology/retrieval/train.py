"""Training the lesion embedding: sequential sampling, the joint triplet loss, iterative refinement.

The talk's recipe (Yan et al., CVPR 2018):

1. Weak cues per lesion: coarse type (known for labelled seed lesions, pseudo-labels elsewhere),
   normalised body location (x, y, z) and size (long, short diameters in mm); each dimension of location
   and size is divided by its maximum.
2. Sequences of 5 lesions A-E whose similarity to A decreases along the cue priorities type > location
   > size: B and C share A's type and lie near it in the body, B being the closer in size; D shares
   the type but lies farther away; E has another type.
3. Joint loss over the triplets ABC, ACD, ADE with squared distances and margins 0.1 < 0.2 < 0.4:
   L = 1/(2S) sum [d_AB^2 - d_AC^2 + m1]_+ + [d_AC^2 - d_AD^2 + m2]_+ + [d_AD^2 - d_AE^2 + m3]_+.
4. Iterative refinement: after training, a classifier on the learned embeddings of the seed lesions
   gives cleaner pseudo-labels; the network is fine-tuned with a lower learning rate.

The initial pseudo-labels come from an RBF SVM on the seeds' weight-free descriptors (the talk used
ImageNet features, which cannot be downloaded here). Works on CPU and CUDA; under ``torchrun`` each
process draws its own sequences and gradients are averaged with DistributedDataParallel.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..lesion import LESION_TYPES
from ..progress import ProgressCallback, report

__all__ = ["TrainingSet", "TrainConfig", "TrainResult", "sample_sequences", "joint_loss",
           "train_lesion_embedding", "phantom_training_set", "deeplesion_training_set", "embed_training_set",
           "retrieval_scores", "MARGINS"]

MARGINS = (0.1, 0.2, 0.4)
_TYPE_CODE = {name: code for code, name in LESION_TYPES.items()}


@dataclass
class TrainingSet:
    """Lesions ready for the network, with their weak cues.

    Attributes:
        x: (n, 3, px, px) float32 network inputs; boxes: (n, 4) box fractions; pixel_mm: (n,).
        types: (n,) coarse type codes 1-8; labelled: (n,) bool, True for seed lesions whose type is
            trusted (the others get pseudo-labels).
        locations: (n, 3) normalised; sizes_mm: (n, 2) long and short diameters; patients: (n,) ids.
        descriptors: (n, d) weight-free descriptors used for the first pseudo-labels.
    """

    x: np.ndarray
    boxes: np.ndarray
    pixel_mm: np.ndarray
    types: np.ndarray
    labelled: np.ndarray
    locations: np.ndarray
    sizes_mm: np.ndarray
    patients: np.ndarray
    descriptors: np.ndarray

    def __len__(self) -> int:
        return len(self.types)


def _build_set(items, *, patch_px: int, seed_fraction: float, seed: int) -> TrainingSet:
    """items: (lesion, image, type code, patient)."""
    from .descriptor import DescriptorEmbedder
    from .network import network_input
    from .patch import lesion_patch

    desc = DescriptorEmbedder()
    xs, boxes, mms, types, locs, sizes, pats, descs = [], [], [], [], [], [], [], []
    for lesion, image, code, patient in items:
        patch = lesion_patch(image, lesion)
        x, box, mm = network_input(patch, patch_px=patch_px)
        xs.append(x)
        boxes.append(box)
        mms.append(mm)
        types.append(code)
        locs.append(lesion.normalized_location)
        sizes.append((lesion.long_axis_mm, lesion.short_axis_mm or lesion.long_axis_mm))
        pats.append(patient)
        descs.append(desc.embed(lesion, image))
    if len(xs) < 10:
        raise InputError("training data", f"needs at least 10 lesions with images, got {len(xs)}")
    rng = np.random.default_rng(seed)
    types = np.asarray(types, dtype=int)
    labelled = rng.random(len(types)) < seed_fraction
    for code in np.unique(types):                   # every type keeps at least one seed
        members = np.flatnonzero(types == code)
        if not labelled[members].any():
            labelled[members[0]] = True
    return TrainingSet(np.stack(xs), np.stack(boxes).astype(np.float32), np.asarray(mms, dtype=np.float32), types,
                       labelled, np.asarray(locs, dtype=float), np.asarray(sizes, dtype=float),
                       np.asarray(pats), np.stack(descs))


def phantom_training_set(seeds=range(8), *, n_studies: int = 2, spacing=(1.6, 1.6, 4.0), patch_px: int = 32,
                         seed_fraction: float = 0.5, progress: ProgressCallback | None = None) -> TrainingSet:
    """Lesions of phantom patients (types from the phantom's ground truth, locations from the image)."""
    from ..longitudinal.phantom_eval import phantom_lesion
    from ..phantom import generate_phantom
    from .location import normalized_location

    items, seeds = [], list(seeds)
    for n, s in enumerate(seeds):
        phantom = generate_phantom(int(s), n_studies=n_studies, spacing=spacing)
        for study in phantom.studies:
            for truth in study.lesions:
                lesion = phantom_lesion(truth, patient=phantom.plan.patient_id, study=study.plan.study_id)
                lesion.normalized_location = normalized_location(study.ct, lesion.centre_lps)[0]
                items.append((lesion, study.ct, _TYPE_CODE[truth["lesion_type"]], phantom.plan.patient_id))
        report(progress, (n + 1) / len(seeds), f"phantom patient {n + 1}/{len(seeds)}")
    return _build_set(items, patch_px=patch_px, seed_fraction=seed_fraction, seed=0)


def deeplesion_training_set(dl_info, images, *, patch_px: int = 64, seed_fraction: float = 0.25,
                            splits=(1, 2, 3), progress: ProgressCallback | None = None) -> TrainingSet:
    """DeepLesion lesions (DL_info.csv rows of ``splits`` whose key slices are in ``images``).

    Rows with a type (1-8) are the labelled pool; ``seed_fraction`` of them are trusted seeds, as in the
    talk (the unlabelled rows, type -1, get pseudo-labels).
    """
    from pathlib import Path

    from ..deeplesion import read_dl_info
    from .importers import _deeplesion_image

    rows, _ = read_dl_info(dl_info)
    items = []
    for n, row in enumerate(rows):
        if row.split not in splits:
            continue
        image = _deeplesion_image(Path(images), row)[0]
        if image is not None:
            items.append((row.to_lesion(), image, row.lesion_type if row.lesion_type > 0 else 0, str(row.patient)))
        if n % 500 == 0:
            report(progress, n / len(rows), "reading key slices")
    ts = _build_set(items, patch_px=patch_px, seed_fraction=seed_fraction, seed=0)
    ts.labelled &= ts.types > 0
    return ts


def sample_sequences(ts: TrainingSet, labels: np.ndarray, n: int, rng: np.random.Generator,
                     *, near_fraction: float = 0.2) -> np.ndarray:
    """(n, 5) indices A-E with similarity to A decreasing along type, then location, then size."""
    loc = ts.locations / np.maximum(ts.locations.max(axis=0), 1e-6)
    size = ts.sizes_mm / np.maximum(ts.sizes_mm.max(axis=0), 1e-6)
    out = []
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        a = int(rng.integers(len(labels)))
        same = np.flatnonzero((labels == labels[a]) & (np.arange(len(labels)) != a))
        other = np.flatnonzero(labels != labels[a])
        if len(same) < 3 or len(other) == 0:
            continue
        d_loc = np.linalg.norm(loc[same] - loc[a], axis=1)
        order = same[np.argsort(d_loc)]
        n_near = max(2, int(round(near_fraction * len(order))))
        near, far = order[:n_near], order[n_near:]
        if len(far) == 0:
            continue
        d_size = np.linalg.norm(size[near] - size[a], axis=1)
        by_size = near[np.argsort(d_size)]
        b = by_size[0]
        c = by_size[int(rng.integers(1, len(by_size)))]
        d = far[int(rng.integers(len(far)))]
        e = other[int(rng.integers(len(other)))]
        out.append((a, b, c, d, e))
    if len(out) < n:
        raise InputError("training data", "cannot form A-E sequences: need at least two lesion types with "
                                          "four or more lesions each")
    return np.asarray(out, dtype=np.int64)


def joint_loss(emb, margins=MARGINS):
    """The talk's joint loss on (S, 5, D) embeddings of sequences A-E (squared Euclidean distances)."""
    import torch

    a = emb[:, 0]
    d2 = [((a - emb[:, j]) ** 2).sum(dim=1) for j in (1, 2, 3, 4)]
    loss = (torch.relu(d2[0] - d2[1] + margins[0]) + torch.relu(d2[1] - d2[2] + margins[1])
            + torch.relu(d2[2] - d2[3] + margins[2]))
    return loss.sum() / (2 * emb.shape[0])


@dataclass
class TrainConfig:
    """Training settings (defaults: the talk's, for a GPU and DeepLesion)."""

    iterations: int = 3000
    lr_drop_at: int = 2000
    sequences_per_batch: int = 24
    lr: float = 0.002
    momentum: float = 0.9
    refinement_rounds: int = 1
    refinement_iterations: int = 1000
    refinement_lr_factor: float = 0.1
    seed: int = 0
    device: str = "auto"
    arch: dict = field(default_factory=dict)


@dataclass
class TrainResult:
    net: object
    losses: list
    before: dict
    after: dict
    seconds: float
    config: TrainConfig
    pseudo_label_accuracy: list = field(default_factory=list)


def _device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def embed_training_set(net, ts: TrainingSet, *, batch: int = 256) -> np.ndarray:
    """(n, D) embeddings of a training set with the network in evaluation mode."""
    import torch

    device = next(net.parameters()).device
    was_training = net.training
    net.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(ts), batch):
            outs.append(net(torch.from_numpy(ts.x[s:s + batch]).to(device), torch.from_numpy(ts.boxes[s:s + batch]).to(device),
                            torch.from_numpy(ts.pixel_mm[s:s + batch]).to(device)).cpu().numpy())
    net.train(was_training)
    return np.concatenate(outs)


def retrieval_scores(features: np.ndarray, ts: TrainingSet, *, k: int = 5) -> dict:
    """Top-k retrieval errors among lesions of other patients (percent): type, location, size; and
    their mean, the single figure training must lower."""
    from .evaluate import neighbours_excluding_self

    nb = neighbours_excluding_self(features, k, patients=ts.patients)
    valid = nb >= 0
    loc = ts.locations / ts.locations.max(axis=0)
    size = ts.sizes_mm[:, :1] / ts.sizes_mm[:, 0].max()
    err = lambda t: float(100 * np.sum(np.linalg.norm(t[nb] - t[:, None], axis=2) * valid) / valid.sum())  # noqa: E731
    out = {"are_type": float(100 * np.sum((ts.types[nb] != ts.types[:, None]) & valid) / valid.sum()),
           "are_location": err(loc), "are_size": err(size)}
    out["mean_error"] = float(np.mean([out["are_type"], out["are_location"], out["are_size"]]))
    return out


def _pseudo_labels(features: np.ndarray, ts: TrainingSet) -> np.ndarray:
    """Trusted types for seeds; an RBF SVM trained on the seeds predicts the rest."""
    from sklearn.svm import SVC

    labels = ts.types.copy()
    seeds = ts.labelled
    if seeds.all() or len(np.unique(ts.types[seeds])) < 2:
        return labels
    clf = SVC(kernel="rbf", C=10.0, gamma="scale").fit(features[seeds], ts.types[seeds])
    labels[~seeds] = clf.predict(features[~seeds])
    return labels


def train_lesion_embedding(ts: TrainingSet, config: TrainConfig | None = None, *, held_out: TrainingSet | None = None,
                           progress: ProgressCallback | None = None, log=None) -> TrainResult:
    """Train the network of `network.LesionEmbeddingNet` on ``ts`` (module docstring for the recipe).

    Args:
        held_out: lesions of other patients, never trained on, on which the retrieval errors before and
            after training are measured (``result.before`` / ``result.after``); without it they are
            measured on the training lesions themselves (a check of the code path, not of accuracy).

    Under ``torchrun`` (WORLD_SIZE > 1) the process group is set up here (NCCL on CUDA, Gloo on CPU).
    """
    import torch
    import torch.distributed as dist

    from .network import DEFAULT_ARCH, LesionEmbeddingNet

    config = config or TrainConfig()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    device = _device(config.device)
    if world > 1 and not dist.is_initialized():
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed + 1000 * rank)
    arch = {**DEFAULT_ARCH, "patch_px": int(ts.x.shape[-1]), **config.arch}
    net = LesionEmbeddingNet(**arch).to(device)
    model = net
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    t0 = time.perf_counter()
    judged = held_out if held_out is not None else ts
    before = retrieval_scores(embed_training_set(net, judged), judged)
    before["measured_on"] = "held-out" if held_out is not None else "training lesions"
    labels = _pseudo_labels(ts.descriptors, ts)
    pseudo_acc = [float(np.mean(labels == ts.types))]
    losses: list[float] = []
    x_all = torch.from_numpy(ts.x).to(device)
    boxes_all = torch.from_numpy(ts.boxes).to(device)
    mm_all = torch.from_numpy(ts.pixel_mm).to(device)
    rounds = [(config.iterations, config.lr, config.lr_drop_at)]
    for _ in range(config.refinement_rounds):
        lr = config.lr * config.refinement_lr_factor
        rounds.append((config.refinement_iterations, lr, config.refinement_iterations))
    total = sum(r[0] for r in rounds)
    done = 0
    for r, (iterations, lr, drop_at) in enumerate(rounds):
        if r > 0:     # iterative refinement: cleaner pseudo-labels from the learned embedding
            labels = _pseudo_labels(embed_training_set(net, ts), ts)
            pseudo_acc.append(float(np.mean(labels == ts.types)))
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=config.momentum, weight_decay=1e-4)
        model.train()
        for it in range(iterations):
            if it == drop_at:
                for group in opt.param_groups:
                    group["lr"] = lr * 0.1
            seq = torch.from_numpy(sample_sequences(ts, labels, config.sequences_per_batch, rng).reshape(-1)).to(device)
            emb = model(x_all[seq], boxes_all[seq], mm_all[seq])
            loss = joint_loss(emb.reshape(-1, 5, emb.shape[-1]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            done += 1
            if log is not None and rank == 0 and (it % 50 == 0 or it == iterations - 1):
                log(f"round {r} iteration {it}: loss {losses[-1]:.4f}")
            report(progress, done / total, f"loss {losses[-1]:.4f}")
    after = retrieval_scores(embed_training_set(net, judged), judged)
    after["measured_on"] = before["measured_on"]
    net.eval()
    return TrainResult(net=net, losses=losses, before=before, after=after, seconds=time.perf_counter() - t0,
                       config=config, pseudo_label_accuracy=pseudo_acc)
