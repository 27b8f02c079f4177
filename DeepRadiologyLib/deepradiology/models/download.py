"""Downloading official weights where a URL is published: to a hidden temp file in the cache, hashed
while it streams, refused and deleted on a sha256 mismatch, and only then renamed into place."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import urllib.request
from pathlib import Path

from ..errors import ModelError
from ..progress import ProgressCallback, report
from .cache import card_path, model_path, models_dir, refuse_to_replace
from .card import ModelCard, require_model_name
from .catalogue import catalogue_slot
from .checkpoint import read_checkpoint, require_same_model
from .install import place_verified

__all__ = ["download_model", "download_catalogue_model"]

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_CHUNK = 1 << 20


def _fetch(url: str, dest: Path, *, timeout_s: float, progress: ProgressCallback | None) -> str:
    """Stream ``url`` into ``dest``; return the hex sha256 of what arrived."""
    if not url.startswith(("https://", "http://")):
        raise ModelError(f"{url}: only http(s) URLs can be downloaded")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                report(progress, done / total if total else 0.0, f"{done / 2**20:.1f} MiB")
            if total and done != total:
                raise ModelError(f"{url}: the download stopped after {done} of {total} bytes")
    except OSError as exc:  # URLError, HTTPError, timeouts and disk errors are all OSErrors
        raise ModelError(f"{url}: download failed ({exc})") from None
    return digest.hexdigest()


def download_model(url: str, *, sha256: str, name: str, expected: ModelCard | None = None,
                   force: bool = False, timeout_s: float = 60.0,
                   progress: ProgressCallback | None = None) -> ModelCard:
    """Download a checkpoint into the cache as ``name``, refusing it unless its sha256 is ``sha256``.

    Args:
        url: http(s) address of the checkpoint.
        sha256: the published hex sha256 of the file (required: nothing unverified is installed).
        name: the name in the cache.
        expected: the catalogue's card; the checkpoint's own card must agree on task, version, architecture.
        force: replace an installed model of that name.

    Raises:
        ModelError: no or malformed sha256, the download failed, or the file does not match.
        OutputExistsError: ``name`` is installed and ``force`` is False (checked before downloading).
    """
    if not _HEX64.match(sha256 or ""):
        raise ModelError(f"{url}: refusing to download without a published 64-digit sha256 to check it against")
    require_model_name(name)
    dest = model_path(name)
    refuse_to_replace(dest, card_path(dest), force=force)
    models_dir().mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".download", dir=models_dir())
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        actual = _fetch(url, tmp, timeout_s=timeout_s, progress=progress)
        if actual != sha256.lower():
            raise ModelError(f"{url}: the downloaded file's sha256 {actual} does not match the published "
                             f"{sha256.lower()}; it was deleted and nothing was installed")
        _, embedded = read_checkpoint(tmp)
        if expected is not None:
            require_same_model(expected, embedded, Path(url))
        card = expected or embedded
        return place_verified(tmp, ModelCard.from_dict({**card.to_dict(), "url": url}), name=name,
                              force=force, move=True)
    finally:
        tmp.unlink(missing_ok=True)


def download_catalogue_model(name: str, *, force: bool = False, timeout_s: float = 60.0,
                             progress: ProgressCallback | None = None) -> ModelCard:
    """Download the catalogue slot ``name``'s official weights, or say how to get weights without a URL."""
    slot = catalogue_slot(name)
    if slot is None:
        raise ModelError(f"{name!r} is not in the model catalogue; see `deepradiology models list`")
    if not slot.card.url:
        how = f"train one with `{slot.train_command}` or " if slot.train_command else ""
        raise ModelError(f"no official weights are published for {name!r} ({slot.task}); {how}import one with "
                         "`deepradiology models import FILE`")
    return download_model(slot.card.url, sha256=slot.card.sha256, name=slot.name, expected=slot.card,
                          force=force, timeout_s=timeout_s, progress=progress)
