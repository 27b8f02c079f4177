"""Deterministic DICOM UIDs: the same lesion track of the same patient gets the same UID in every study."""

from __future__ import annotations

import uuid

__all__ = ["tracking_uid", "stable_uid"]

#: Namespace for our name-based UUIDs (a fixed random UUID; changing it changes every tracking UID).
_NAMESPACE = uuid.UUID("6f1c2a4e-3b0d-4c59-9a55-0d2e7f8c9b13")


def stable_uid(*parts: str) -> str:
    """A UID in the 2.25 (UUID-derived) root, a pure function of ``parts`` (PS3.5 B.2)."""
    return "2.25." + str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)).int)


def tracking_uid(patient_id: str, track_id: str) -> str:
    """The TID 1500 Tracking Unique Identifier of lesion ``track_id`` of ``patient_id``.

    Stable across studies: a lesion matched over time (one LongitudinalMatch track) shares it.
    """
    return stable_uid("deepradiology-track", patient_id, track_id)
