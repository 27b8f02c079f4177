"""Pancreas segmentation in abdominal CT: the talk's holistically-nested network with a slice-wise
convolutional LSTM, and a 3D U-Net with deep supervision as the modern default, both coarse-to-fine.

Modules (import the one you need; torch loads only inside `networks`, `model`, `inference` and `train`):

- `networks`: the two architectures behind one interface.
- `inference`: `segment_pancreas` (locate, segment by sliding window, post-process, volume, confidence).
- `model`: `load_pancreas_model` (installed model or checkpoint file, via `deepradiology.models`).
- `train`: `train_pancreas` (k-fold CV on MSD Task07 / NIH Pancreas-CT, torchrun-ready).
- `data`: the datasets' layouts, HU windowing, augmentation. `resample`: grid changes.
- `metrics`: dice, asd_mm, hd95_mm. `checks`: body region, memory, model fit.
- `postprocess`: components, holes, confidence. `sliding_window`: blended windows.
- `testing`: a small phantom model for tests and the Slicer module's self-test.
"""

from __future__ import annotations

__all__: list[str] = []
