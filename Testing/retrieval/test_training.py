"""The triplet network's training recipe: A-E sequences, the joint loss, a short run on phantom lesions."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")


@pytest.fixture(scope="module")
def phantom_lesions_for_training():
    from deepradiology.retrieval.train import phantom_training_set

    return phantom_training_set(range(20, 26), n_studies=1, patch_px=32)


def test_sequences_decrease_in_similarity_along_type_then_location_then_size(phantom_lesions_for_training):
    from deepradiology.retrieval.train import sample_sequences

    ts = phantom_lesions_for_training
    seqs = sample_sequences(ts, ts.types, 40, np.random.default_rng(0))
    loc = ts.locations / ts.locations.max(axis=0)
    size = ts.sizes_mm / ts.sizes_mm.max(axis=0)
    for a, b, c, d, e in seqs:
        assert ts.types[b] == ts.types[c] == ts.types[d] == ts.types[a] != ts.types[e]
        d_loc = lambda j: np.linalg.norm(loc[j] - loc[a])  # noqa: E731
        assert max(d_loc(b), d_loc(c)) <= d_loc(d) + 1e-9
        assert np.linalg.norm(size[b] - size[a]) <= np.linalg.norm(size[c] - size[a]) + 1e-9


def test_the_joint_loss_is_zero_for_well_ordered_sequences_and_positive_otherwise():
    from deepradiology.retrieval.train import joint_loss

    line = torch.tensor([[0.0], [0.1], [0.6], [1.0], [2.0]])          # d^2 = 0.01, 0.36, 1, 4
    assert float(joint_loss(line[None])) == 0.0
    swapped = line[[0, 4, 3, 2, 1]]
    assert float(joint_loss(swapped[None])) > 0.4


def test_the_network_fuses_four_depths_into_unit_vectors():
    from deepradiology.retrieval.network import LesionEmbeddingNet

    net = LesionEmbeddingNet(widths=(4, 8, 8, 8, 8), embed_per_scale=6, patch_px=32).eval()
    out = net(torch.rand(3, 3, 32, 32), torch.tensor([[0.3, 0.3, 0.6, 0.6]] * 3), torch.tensor([1.0, 2.0, 3.0]))
    assert out.shape == (3, 24) and torch.allclose(out.norm(dim=1), torch.ones(3), atol=1e-5)


@pytest.mark.slow
def test_a_short_training_run_lowers_the_loss_improves_retrieval_and_saves_a_checkpoint(
        phantom_lesions_for_training, phantom_database, tmp_path, monkeypatch):
    from deepradiology.retrieval.learned import LearnedEmbedder, save_lesion_embedding
    from deepradiology.retrieval.train import TrainConfig, train_lesion_embedding

    threads = torch.get_num_threads()
    torch.set_num_threads(1)          # a small net on a shared CPU: one thread wastes no time in hand-offs
    ts = phantom_lesions_for_training
    config = TrainConfig(iterations=60, lr_drop_at=1000, sequences_per_batch=8, lr=0.01, refinement_rounds=1,
                         refinement_iterations=20, device="cpu",
                         arch={"widths": [8, 16, 32, 32, 64], "embed_per_scale": 16})
    from deepradiology.retrieval.train import phantom_training_set

    held_out = phantom_training_set(range(40, 43), n_studies=1, patch_px=32)     # patients never trained on
    try:
        result = train_lesion_embedding(ts, config, held_out=held_out)
    finally:
        torch.set_num_threads(threads)
    first, last = np.mean(result.losses[:10]), np.mean(result.losses[-10:])
    assert last < 0.8 * first
    assert result.before["measured_on"] == "held-out"
    assert result.after["mean_error"] < result.before["mean_error"]
    assert len(result.pseudo_label_accuracy) == 2

    monkeypatch.setenv("DEEPRADIOLOGY_MODELS", str(tmp_path / "cache"))
    path = save_lesion_embedding(result, tmp_path / "emb.pt", name="phantom-embedding", training_data="phantom")
    embedder = LearnedEmbedder(str(path))
    assert embedder.dim == 64 and embedder.name.startswith("model:phantom-embedding:")
    from deepradiology.phantom import generate_phantom

    study = generate_phantom(20, n_studies=1, spacing=(1.6, 1.6, 4.0)).studies[0]
    from deepradiology.lesion import Lesion

    t = study.lesions[0]
    vec = embedder.embed(Lesion("x", long_axis_lps=t["long_axis_lps"], short_axis_lps=t["short_axis_lps"],
                                long_axis_mm=t["long_axis_mm"]), study.ct)
    assert vec.shape == (64,) and np.isclose(np.linalg.norm(vec), 1.0, atol=1e-4)

    # the trained model embeds a descriptor-built database from its stored images, and answers queries
    import shutil

    from deepradiology.retrieval import LesionDatabase, find_similar
    from deepradiology.retrieval.embed import embed_database

    db_path = tmp_path / "copy.db"
    shutil.copy(phantom_database, db_path)
    with LesionDatabase(db_path) as db:
        done = embed_database(db, embedder)
        assert done["embedded"] == db.count() and not done["failed"]
        assert embed_database(db, embedder)["embedded"] == 0                   # resumable: nothing left
        stored = next(s for s in db.iter_lesions() if s.lesion.lesion_type == "liver")
        from deepradiology.retrieval.embed import stored_image

        found = find_similar(db, stored.lesion, image=stored_image(stored), embedder=embedder, k=3)
    assert found[0].stored.id == stored.id and found[0].distance < 1e-3


def test_a_checkpoint_of_another_task_is_refused_as_a_lesion_embedding(tmp_path):
    from deepradiology.errors import ModelError
    from deepradiology.models import ModelCard, save_checkpoint
    from deepradiology.retrieval.learned import LearnedEmbedder

    card = ModelCard(name="not-an-embedding", task="cxr-classification")
    path = save_checkpoint(tmp_path / "x.pt", {"w": torch.zeros(2)}, card)
    with pytest.raises(ModelError):
        LearnedEmbedder(str(path))


@pytest.mark.gpu
def test_training_runs_on_a_cuda_device(phantom_lesions_for_training):
    from deepradiology.retrieval.train import TrainConfig, train_lesion_embedding

    config = TrainConfig(iterations=10, sequences_per_batch=8, lr=0.01, refinement_rounds=0, device="cuda",
                         arch={"widths": [8, 16, 32, 32, 64], "embed_per_scale": 16})
    result = train_lesion_embedding(phantom_lesions_for_training, config)
    assert next(result.net.parameters()).is_cuda and np.isfinite(result.losses).all()


@pytest.mark.slow
def test_training_runs_under_torchrun_with_two_cpu_processes(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun, which comes with torch, is not beside this Python: pip install 'deepradiology[torch]'")
    out = tmp_path / "ddp.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DEEPRADIOLOGY_MODELS": str(tmp_path / "cache")}
    run = subprocess.run([str(torchrun), "--nproc_per_node", "2", "--master_port", "29517", "-m", "deepradiology",
                          "retrieval", "train", "--phantom", "3", "--iterations", "4", "--refinement-iterations", "2",
                          "--sequences", "4", "--patch-px", "32", "--device", "cpu", "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout[run.stdout.index("{"):])
    assert report["checkpoint"] == str(out) and out.exists() and report["lesions"] > 30
