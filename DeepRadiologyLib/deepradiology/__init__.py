"""DeepRadiology's core: deep-learning radiology methods without Slicer.

Importing this package is cheap: torch, MONAI, FAISS, Slicer, VTK and Qt are never imported here; the
functions that need them import them when called.
"""

from __future__ import annotations

from .errors import DeepRadiologyError, InputError, ModelError, OutputExistsError
from .image import Image
from .lesion import LESION_TYPES, Lesion, load_lesions, save_lesions

__version__ = "0.1.0"

__all__ = ["Image", "Lesion", "LESION_TYPES", "load_lesions", "save_lesions", "DeepRadiologyError",
           "InputError", "ModelError", "OutputExistsError", "__version__"]
