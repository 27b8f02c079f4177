"""(Re-)embedding a database's lesions with another model, from their stored images.

A database built with the descriptor can be given a learned model's vectors later (after training one)
without re-importing: each lesion whose image is still on disk (a DeepLesion key slice, with the spacing
kept from ``DL_info.csv``, or a volume file) is embedded and stored under the model's name. Lesions that
already have the model's vector are skipped, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DeepRadiologyError
from ..image import Image
from ..progress import ProgressCallback, report
from .database import LesionDatabase, StoredLesion

__all__ = ["embed_database", "stored_image"]


def stored_image(stored: StoredLesion, *, cache: dict | None = None) -> Image | None:
    """The image a stored lesion was measured on, None when it is not available here."""
    from ..io import read_deeplesion_slice, read_deeplesion_stack, read_volume

    if not stored.image_path or not Path(stored.image_path).exists():
        return None
    path = Path(stored.image_path)
    if cache is not None and str(path) in cache:
        return cache[str(path)]
    if path.suffix.lower() == ".png":
        spacing = tuple((stored.lesion.extra.get("dl_info") or {}).get("spacing") or (1.0, 1.0, 1.0))
        key = int(path.stem)
        around = [key - 1, key, key + 1]
        if all((path.parent / f"{n:03d}.png").is_file() for n in around):
            image = read_deeplesion_stack(path.parent, around, spacing=spacing)
        else:
            image = read_deeplesion_slice(path, spacing=spacing)
    else:
        image = read_volume(path)
    if cache is not None:
        cache.clear()                     # keep one volume: lesions of one image are stored together
        cache[str(path)] = image
    return image


def embed_database(db: LesionDatabase, embedder, *, batch: int = 256,
                   progress: ProgressCallback | None = None) -> dict:
    """Store ``embedder``'s vector for every lesion that lacks one and whose image (if needed) is here.

    Returns:
        {"model", "embedded", "already", "without_image", "failed": [[uid, reason], ...]}.
    """
    todo = db.ids_without_embedding(embedder.name)
    total = db.count()
    out = {"model": embedder.name, "embedded": 0, "already": total - len(todo), "without_image": 0, "failed": []}
    cache: dict = {}
    needs_image = getattr(embedder, "needs_image", False)
    for start in range(0, len(todo), batch):
        ids, vecs = [], []
        for stored in db.get_many(todo[start:start + batch]):
            try:
                image = stored_image(stored, cache=cache)
                if image is None and needs_image:
                    out["without_image"] += 1
                    continue
                vecs.append(embedder.embed(stored.lesion, image))
                ids.append(stored.id)
            except DeepRadiologyError as exc:
                out["failed"].append([stored.uid, str(exc)])
        if ids:
            db.set_embeddings(ids, vecs, model=embedder.name)
            out["embedded"] += len(ids)
        report(progress, min(1.0, (start + batch) / max(len(todo), 1)), f"{out['embedded']} embedded")
    return out
