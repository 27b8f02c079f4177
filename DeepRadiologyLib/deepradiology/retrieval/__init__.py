"""LesionRetrieval: click a lesion, see the most similar lesions of past patients (the talk's Deep Lesion Graph).

- `database`: the SQLite lesion database (records, thumbnails, embeddings; versioned, WAL).
- `index`: the FAISS vector index beside it (exact, IVF or HNSW).
- `importers`: DeepLesion's layout, RECISTAssist tables, NIfTI volumes with lesion JSON.
- `descriptor`: the default embedding without learned weights (location, size, appearance).
- `network`, `train`, `learned`: the triplet network, its training recipe and its use (torch, lazily).
- `query`: ranked neighbours with distances and the cue that dominated.
- `evaluate`: Table 1 of the talk (ARE, purity, NMI, accuracy).

Importing this package does not import torch or FAISS.
"""

from __future__ import annotations

from .database import SCHEMA_VERSION, DatabaseError, LesionDatabase, StoredLesion
from .descriptor import DescriptorEmbedder
from .importers import (ImportReport, import_deeplesion, import_lesion_json, import_lesions, import_nifti_folder,
                        import_recist_table)
from .index import VectorIndex
from .query import Neighbour, QueryFilters, find_similar, find_similar_to_vector

__all__ = ["LesionDatabase", "StoredLesion", "DatabaseError", "SCHEMA_VERSION", "VectorIndex", "DescriptorEmbedder",
           "ImportReport", "import_deeplesion", "import_lesions", "import_lesion_json", "import_recist_table",
           "import_nifti_folder", "Neighbour", "QueryFilters", "find_similar", "find_similar_to_vector"]
