"""The ChestX-ray8 network's pieces behave as the paper defines them."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

from deepradiology.cxr.network import balanced_cross_entropy, build_network, global_pool  # noqa: E402


def test_lse_pooling_lies_between_average_and_maximum_and_reaches_both():
    x = torch.randn(2, 3, 8, 8)
    for r in (0.5, 2.0, 10.0):
        lse = global_pool(x, pooling="lse", r=r)
        assert torch.all(lse <= x.amax(dim=(2, 3)) + 1e-5) and torch.all(lse >= x.mean(dim=(2, 3)) - 1e-5)
    assert torch.allclose(global_pool(x, pooling="lse", r=1e-2), x.mean(dim=(2, 3)), atol=1e-2)
    assert torch.allclose(global_pool(x, pooling="lse", r=1e4), x.amax(dim=(2, 3)), atol=1e-3)


def test_lse_pooling_is_stable_for_large_activations():
    x = torch.full((1, 1, 4, 4), 500.0)
    assert torch.isfinite(global_pool(x, pooling="lse", r=10.0)).all()


def test_balanced_cross_entropy_weighs_rare_positives_up():
    targets = torch.tensor([[1.0, 0, 0, 0]] * 4)
    miss_positive = balanced_cross_entropy(torch.tensor([[-2.0, -2, -2, -2]] * 4), targets)
    miss_negative = balanced_cross_entropy(torch.tensor([[2.0, 2, -2, -2]] * 4), targets)
    # One missed positive column costs as much as three missed negative columns would: beta_P = 4, beta_N = 4/3.
    assert miss_positive.item() > miss_negative.item()
    perfect = balanced_cross_entropy(torch.tensor([[9.0, -9, -9, -9]] * 4), targets)
    assert perfect.item() < 0.01


def test_with_average_pooling_the_class_activations_average_to_the_logits():
    net = build_network(backbone="small", num_classes=5, transition_channels=16, pooling="avg").eval()
    x = torch.randn(2, 1, 64, 64)
    with torch.no_grad():
        logits, maps = net.forward_with_activations(x)
    assert maps.shape == (2, 5, 8, 8)
    assert torch.allclose(maps.mean(dim=(2, 3)), logits, atol=1e-4)


@pytest.mark.parametrize("backbone, cells", [("densenet121", 2), ("resnet50", 4)])
def test_the_real_backbones_map_a_film_to_an_s_by_s_transition_layer(backbone, cells):
    net = build_network(backbone=backbone, num_classes=14, transition_channels=32).eval()
    with torch.no_grad():
        logits, maps = net.forward_with_activations(torch.randn(1, 1, 64, 64))
    assert logits.shape == (1, 14) and maps.shape == (1, 14, cells, cells)


def test_an_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match="pooling"):
        build_network(backbone="small", pooling="median")


def test_the_inference_benchmark_times_the_network_against_its_peers():
    from deepradiology.cxr.benchmark import inference_benchmark

    result = inference_benchmark(size=64, batch=2, repeats=1)
    for name in ("chestxray8_with_heatmaps", "chestxray8_scores_only", "monai_densenet121"):
        assert result[name]["seconds_per_film"] > 0 and result[name]["films_per_second_batch"] > 0
    assert result["ratio_time_vs_monai_densenet121"] > 0
