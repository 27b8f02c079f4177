"""The MRML bridge: DeepRadiology's core objects <-> Slicer's MRML nodes.

The core (`deepradiology`) works in LPS millimetres with numpy arrays indexed [k, j, i]; MRML nodes hold
RAS millimetres. Every conversion between the two happens in this package, in one place per kind of
node:

- `scene`: a properly set-up scene (`create_scene`, `get_scene`, `close_scene`).
- `volumes`: `Image` <-> scalar / label-map volume node.
- `segmentations`: label image <-> segmentation node with named, coloured segments.
- `markups`: RECIST long/short axes <-> a pair of line nodes; fiducials.
- `tables`: records and `Lesion` lists <-> table node with typed columns.
- `plots`: line charts (plot series and chart nodes).
- `mrb`: saving and loading a whole scene as a Slicer bundle (``.mrb``).
- `slicer_setup`: installing the core's pip dependencies on demand inside Slicer.
- `logic`: each Slicer module's Logic, shared by the Slicer modules and the web app.

The package imports ``slicer`` (the real application, or the ``slicer-core`` wheel) in its submodules,
never here, so ``import deepradiology_mrml`` stays cheap.
"""

from __future__ import annotations

__all__: list[str] = []
