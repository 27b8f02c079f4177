"""Training under torchrun's environment: two CPU processes (Gloo) end with the same weights."""

from __future__ import annotations

import os
import socket

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, folder: str) -> None:
    import numpy as np
    import torch.distributed as dist

    os.environ.update({"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank),
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
    torch.set_num_threads(1)
    from deepradiology.cxr.datasets import ArrayFilms
    from deepradiology.cxr.network import build_network
    from deepradiology.cxr.synthetic import synthetic_films
    from deepradiology.cxr.train import train_network

    films = synthetic_films(16, seed=5, size=64)
    data = ArrayFilms(np.stack([f.array for f in films]), np.stack([f.labels for f in films]))
    torch.manual_seed(rank)  # different start on each rank: DDP must broadcast rank 0's weights
    net = build_network(backbone="small", num_classes=4, transition_channels=8)
    result = train_network(net, data, epochs=1, batch_size=4, lr=1e-3, device=torch.device("cpu"))
    torch.save({k: v.clone() for k, v in result.network.state_dict().items()}, f"{folder}/rank{rank}.pt")
    assert result.world_size == world and result.rank == rank
    dist.destroy_process_group()


def test_two_processes_train_one_model(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert a.keys() == b.keys()
    for key in a:
        if a[key].is_floating_point() and "running" not in key:
            assert torch.allclose(a[key], b[key], atol=1e-6), key
