"""DeepLesion's own layout with images (phantom lesions written as 16-bit key slices + DL_info.csv)."""

from __future__ import annotations

import json

import numpy as np

from deepradiology.cli import main
from deepradiology.retrieval import LesionDatabase, find_similar, import_deeplesion
from deepradiology.retrieval.descriptor import DescriptorEmbedder


def test_key_slices_give_thumbnails_and_appearance_and_find_the_same_organ(fake_deeplesion, tmp_path):
    dl_info, images = fake_deeplesion
    with LesionDatabase(tmp_path / "dl.db") as db:
        rep = import_deeplesion(db, dl_info, images=images)
        assert rep.added == 28 and rep.with_image == 28 and rep.metadata_only == 0
        model = DescriptorEmbedder().name
        ids, vecs = db.embeddings(model)
        appearance = vecs[:, DescriptorEmbedder().blocks()["appearance"]]
        assert np.all(np.abs(appearance).sum(axis=1) > 0)
        stored = next(s for s in db.iter_lesions() if s.lesion.lesion_type == "kidney")
        assert db.thumbnail(stored.id)[:4] == b"\x89PNG" and stored.image_path.endswith(".png")
        from deepradiology.retrieval.embed import stored_image

        image = stored_image(stored)
        assert image.array.shape[0] == 3                      # the key slice and its two neighbours
        found = find_similar(db, stored.lesion, image=image, k=4)
        assert found[0].stored.id == stored.id
        assert [n.stored.lesion.lesion_type for n in found[1:]] == ["kidney"] * 3


def test_the_evaluation_uses_key_slices_for_the_descriptor(fake_deeplesion, tmp_path, capsys):
    dl_info, images = fake_deeplesion
    assert main(["retrieval", "eval-deeplesion", "--dl-info", str(dl_info), "--features", "descriptor",
                 "--images", str(images), "-o", str(tmp_path / "m.json")]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n"] == 28
    assert {"are_type", "are_location", "are_size", "purity", "nmi", "accuracy"} <= set(metrics)
    assert metrics["are_type"] < 30


def test_a_deeplesion_training_set_reads_the_key_slices(fake_deeplesion):
    import pytest

    pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
    from deepradiology.retrieval.train import deeplesion_training_set

    dl_info, images = fake_deeplesion
    ts = deeplesion_training_set(dl_info, images, patch_px=32, seed_fraction=0.5)
    assert len(ts) == 28 and ts.x.shape == (28, 3, 32, 32)
    assert ts.labelled.any() and not ts.labelled.all()
    assert set(np.unique(ts.types)) == {1, 2, 4, 5, 6}
