"""Downloads from a loopback HTTP server: installed when the sha256 matches, refused and deleted when not."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest

from deepradiology.errors import ModelError
from deepradiology.models import download_catalogue_model, download_model, file_sha256, load_checkpoint

pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")


@pytest.fixture
def a_loopback_server(a_saved_checkpoint):
    """Serves the saved checkpoint's folder on 127.0.0.1 (an ephemeral port); yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(a_saved_checkpoint.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_download_with_the_right_hash_is_installed(a_model_cache, a_loopback_server, a_saved_checkpoint):
    url = f"{a_loopback_server}/{a_saved_checkpoint.name}"
    card = download_model(url, sha256=file_sha256(a_saved_checkpoint), name="downloaded")
    assert card.url == url and card.sha256 == file_sha256(a_saved_checkpoint)
    assert load_checkpoint("downloaded", task="pancreas-segmentation")[1].name == "downloaded"
    assert sorted(p.name for p in a_model_cache.iterdir()) == ["downloaded.pt", "downloaded.pt.card.json"]


def test_a_download_with_the_wrong_hash_is_refused_and_deleted(a_model_cache, a_loopback_server, a_saved_checkpoint):
    url = f"{a_loopback_server}/{a_saved_checkpoint.name}"
    with pytest.raises(ModelError, match="does not match the published"):
        download_model(url, sha256="f" * 64, name="downloaded")
    assert list(a_model_cache.iterdir()) == []


def test_a_missing_file_on_the_server_is_a_clear_error(a_model_cache, a_loopback_server):
    with pytest.raises(ModelError, match="download failed"):
        download_model(f"{a_loopback_server}/absent.pt", sha256="f" * 64, name="absent")


def test_nothing_is_downloaded_without_a_published_hash(a_model_cache):
    with pytest.raises(ModelError, match="without a published"):
        download_model("http://127.0.0.1:9/x.pt", sha256="", name="x")


def test_a_catalogue_model_without_a_url_says_how_to_train_one(a_model_cache):
    with pytest.raises(ModelError, match="deepradiology pancreas train"):
        download_catalogue_model("pancreas-segmentation")
