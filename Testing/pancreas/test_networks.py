"""Both pancreas networks keep the patch's shape, expose deep supervision, and the LSTM links slices."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

from deepradiology.errors import ModelError  # noqa: E402
from deepradiology.pancreas.networks import NetworkConfig, build_network  # noqa: E402


@pytest.mark.parametrize("arch", ["dynunet", "hnn-bclstm"])
def test_both_networks_return_one_logit_map_the_size_of_the_patch(arch):
    net = build_network(NetworkConfig(arch=arch, channels=(4, 8, 16))).eval()
    x = torch.randn(2, 1, 8, 32, 24)
    with torch.no_grad():
        y = net(x)
    assert y.shape == x.shape


@pytest.mark.parametrize("arch,n_outputs", [("dynunet", 2), ("hnn-bclstm", 5)])
def test_training_sees_every_deeply_supervised_output_at_full_size(arch, n_outputs):
    net = build_network(NetworkConfig(arch=arch, channels=(4, 8, 16))).train()
    x = torch.randn(1, 1, 8, 16, 16)
    outputs = net.side_outputs(x)
    # dynunet: main + 1 head at depth 3; hnn-bclstm: LSTM output, fused map, 3 side outputs
    assert len(outputs) == n_outputs
    assert all(o.shape == x.shape for o in outputs)


def test_side_outputs_are_fused_by_learned_weights():
    net = build_network(NetworkConfig(arch="hnn-bclstm", channels=(4, 8, 16)))
    fuse = net.hnn.fuse
    assert fuse.weight.requires_grad and fuse.weight.shape == (1, 3, 1, 1)
    loss = net.side_outputs(torch.randn(1, 1, 4, 16, 16))[0].mean()
    loss.backward()
    assert fuse.weight.grad is not None and float(fuse.weight.grad.abs().sum()) > 0


def test_the_bidirectional_lstm_carries_information_from_the_last_slice_to_the_first():
    torch.manual_seed(0)
    net = build_network(NetworkConfig(arch="hnn-bclstm", channels=(4, 8), context_slices=1)).eval()
    x = torch.randn(1, 1, 8, 16, 16)
    changed = x.clone()
    changed[:, :, -1] += 3.0  # only the last slice changes; the 2.5D input reaches one slice away
    with torch.no_grad():
        first_before, first_after = net(x)[0, 0, 0], net(changed)[0, 0, 0]
    assert float((first_before - first_after).abs().max()) > 1e-5


def test_an_unknown_architecture_is_refused_with_the_choices():
    with pytest.raises(ModelError, match="dynunet"):
        NetworkConfig(arch="vnet")
