"""The model manager: model cards, the catalogue, the cache, verified checkpoints, import and download.

Importing this package does not import torch; the functions that read or write weights do.
"""

from __future__ import annotations

from .cache import ENV_VAR, InstalledModel, card_path, find_model, installed_models, model_path, models_dir
from .card import TASKS, ModelCard, read_card, require_task, write_card
from .catalogue import CatalogueSlot, catalogue_slot, load_catalogue, validate_catalogue
from .checkpoint import file_sha256, load_checkpoint, read_checkpoint, save_checkpoint, verify_file
from .download import download_catalogue_model, download_model
from .install import install_model

__all__ = ["ModelCard", "TASKS", "require_task", "read_card", "write_card", "ENV_VAR", "models_dir",
           "model_path", "card_path", "InstalledModel", "installed_models", "find_model", "CatalogueSlot",
           "load_catalogue", "catalogue_slot", "validate_catalogue", "save_checkpoint", "load_checkpoint",
           "read_checkpoint", "verify_file", "file_sha256", "install_model", "download_model",
           "download_catalogue_model"]
