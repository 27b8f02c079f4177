"""Chest X-ray triage (the talk's ChestX-ray8 framework, Wang et al. CVPR 2017).

A MONAI-built backbone, a transition layer to S x S x D, selectable global pooling (max / avg / LSE),
a multi-label head trained with positive/negative-balanced cross-entropy; heatmaps from the
transition layer's class activations, thresholded into boxes; a worklist sorted by urgency from
per-finding operating points stored in the model card. No weights ship: train with
`pipeline.train_chestxray14` (``deepradiology cxr train``) or check the pipeline on synthetic films.

Importing this package does not import torch.
"""

from __future__ import annotations

from .model import TASK, CXRModel, load_cxr_model, no_model_message, save_cxr_model
from .preprocess import PreparedFilm, prepare_film
from .synthetic import SYNTHETIC_FINDINGS, synthetic_films
from .triage import URGENCY_WEIGHTS, FilmScore, finding_heatmap, score_films, triage_paths, urgency, write_worklist

__all__ = ["TASK", "CXRModel", "load_cxr_model", "save_cxr_model", "no_model_message", "PreparedFilm",
           "prepare_film", "SYNTHETIC_FINDINGS", "synthetic_films", "URGENCY_WEIGHTS", "FilmScore",
           "finding_heatmap", "score_films", "triage_paths", "urgency", "write_worklist"]
