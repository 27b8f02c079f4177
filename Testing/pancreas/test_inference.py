"""Coarse-to-fine inference mechanics: blending, geometry, cancelling, post-processing, confidence."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'deepradiology[torch]'")

from deepradiology.models import ModelCard  # noqa: E402
from deepradiology.pancreas.inference import segment_pancreas  # noqa: E402
from deepradiology.pancreas.model import PancreasModel  # noqa: E402
from deepradiology.pancreas.networks import NetworkConfig, build_network  # noqa: E402
from deepradiology.pancreas.postprocess import PLAUSIBLE_VOLUME_ML, confidence_reasons, fill_holes, keep_gland  # noqa: E402
from deepradiology.pancreas.sliding_window import sliding_window_probability  # noqa: E402
from deepradiology.progress import Cancelled  # noqa: E402


class _Pointwise(torch.nn.Module):
    """A network whose output at a voxel depends on that voxel only, so blending must reproduce it."""

    def forward(self, x):
        return 3.0 * x - 0.5


def test_blended_windows_reproduce_a_pointwise_network_everywhere():
    volume = np.random.default_rng(0).uniform(-1, 1, (21, 37, 29)).astype(np.float32)
    prob = sliding_window_probability(_Pointwise(), volume, patch=(8, 16, 16), overlap=0.5)
    assert np.allclose(prob, 1 / (1 + np.exp(-(3.0 * volume - 0.5))), atol=1e-5)


def test_a_volume_smaller_than_a_window_is_padded_and_cropped_back():
    volume = np.zeros((3, 5, 7), np.float32)
    prob = sliding_window_probability(_Pointwise(), volume, patch=(8, 16, 16))
    assert prob.shape == volume.shape and np.allclose(prob, 1 / (1 + np.exp(0.5)))


def _random_model(arch: str = "dynunet") -> PancreasModel:
    torch.manual_seed(0)
    fine_cfg = NetworkConfig(arch=arch, channels=(4, 8, 16))
    coarse_cfg = NetworkConfig(arch=arch, channels=(4, 8, 16))
    state = {f"fine.{k}": v for k, v in build_network(fine_cfg).state_dict().items()}
    state.update({f"coarse.{k}": v for k, v in build_network(coarse_cfg).state_dict().items()})
    patch = [16, 64, 64] if arch == "dynunet" else [8, 64, 64]
    card = ModelCard(name="untrained", task="pancreas-segmentation", input_spec={
        "spacing_mm": [4.8, 4.8, 4.0], "coarse_spacing_mm": [9.6, 9.6, 8.0], "patch": patch,
        "coarse_patch": [8, 16, 16], "window_hu": [-160, 240], "network": fine_cfg.to_dict(),
        "coarse_network": coarse_cfg.to_dict()})
    return PancreasModel.from_state(state, card, device="cpu")


@pytest.mark.parametrize("arch", ["dynunet", "hnn-bclstm"])
def test_mask_and_probability_lie_on_the_ct_grid_for_both_architectures(arch, a_coarse_phantom_patient):
    whole = a_coarse_phantom_patient.studies[0].ct
    ct = whole.__class__(whole.array[16:40], spacing=whole.spacing, origin=whole.index_to_lps((0, 0, 16)),
                         direction=whole.direction, modality="CT")   # 96 mm around the pancreas
    result = segment_pancreas(ct, model=_random_model(arch))
    for image in (result.mask, result.probability):
        assert image.array.shape == ct.array.shape
        assert np.allclose(image.ijk_to_lps, ct.ijk_to_lps)
    assert result.mask.array.dtype == np.uint8 and 0 <= result.probability.array.min() <= result.probability.array.max() <= 1
    assert result.volume_ml == pytest.approx(result.mask.array.sum() * ct.voxel_volume_ml)
    assert result.confidence in ("high", "low")
    if not result.located:   # untrained: the locator sees nothing, and the whole CT is searched and said so
        assert any("whole CT was searched" in r for r in result.reasons) and result.confidence == "low"


def test_a_cancelled_run_raises_and_returns_nothing(a_coarse_phantom_patient):
    calls = []

    def cancel_during_locating(fraction, message=""):
        calls.append(message)
        if message.startswith("locating"):
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        segment_pancreas(a_coarse_phantom_patient.studies[0].ct, model=_random_model(),
                         progress=cancel_during_locating)
    assert calls[0] == "checking the CT"


def test_the_gland_keeps_a_nearby_piece_and_drops_a_far_false_positive():
    mask = np.zeros((20, 40, 80), bool)
    mask[8:12, 15:25, 5:30] = True      # head and body: 1000 voxels
    mask[8:12, 15:25, 33:45] = True     # tail, 3 voxels (3 mm) away: kept
    mask[8:12, 2:6, 75:79] = True       # 64 voxels far away: dropped (too small and too far)
    kept, discarded = keep_gland(mask, (1.0, 1.0, 1.0))
    assert kept[10, 20, 40] and not kept[10, 3, 76] and discarded == 64


def test_holes_inside_the_gland_are_filled():
    mask = np.zeros((5, 20, 20), bool)
    mask[1:4, 5:15, 5:15] = True
    mask[2, 9:11, 9:11] = False   # a duct seen end-on
    assert fill_holes(mask)[2, 10, 10]


def test_an_implausible_volume_or_undecided_probabilities_lower_the_confidence():
    prob = np.zeros((10, 10, 10), np.float32)
    prob[2:8, 2:8, 2:8] = 0.95
    mask = prob >= 0.5
    _, reasons = confidence_reasons(probability=prob, mask=mask, volume_ml=60.0, discarded_voxels=0,
                                    touches_edge=False)
    assert reasons == []
    _, reasons = confidence_reasons(probability=prob, mask=mask, volume_ml=PLAUSIBLE_VOLUME_ML[1] + 40,
                                    discarded_voxels=0, touches_edge=False)
    assert any("plausible adult range" in r for r in reasons)
    vague = np.where(mask, 0.55, 0.3).astype(np.float32)
    _, reasons = confidence_reasons(probability=vague, mask=mask, volume_ml=60.0, discarded_voxels=0,
                                    touches_edge=False)
    assert any("mean probability" in r for r in reasons) and any("undecided" in r for r in reasons)


def test_a_ct_too_large_for_the_memory_allowed_is_refused_before_any_network_runs(a_coarse_phantom_patient):
    from deepradiology.errors import InputError

    messages = []
    with pytest.raises(InputError, match=r"needs about \d+\.\d GiB of memory .* only 0\.0 GiB is available"):
        segment_pancreas(a_coarse_phantom_patient.studies[0].ct, model=_random_model(),
                         memory_limit_bytes=10 * 2 ** 20, progress=lambda f, m="": messages.append(m))
    assert messages == ["checking the CT"]


@pytest.mark.gpu
def test_on_cuda_with_mixed_precision_the_result_matches_the_cpu_one(a_coarse_phantom_patient):
    whole = a_coarse_phantom_patient.studies[0].ct
    ct = whole.__class__(whole.array[16:40], spacing=whole.spacing, origin=whole.index_to_lps((0, 0, 16)),
                         direction=whole.direction, modality="CT")
    cpu = segment_pancreas(ct, model=_random_model())
    model = _random_model()
    gpu_model = PancreasModel.from_state({f"{p}.{k}": v for p, net in (("fine", model.fine), ("coarse", model.coarse))
                                          for k, v in net.state_dict().items()}, model.card, device="cuda")
    gpu = segment_pancreas(ct, model=gpu_model)
    assert gpu.device.startswith("cuda")
    assert np.allclose(gpu.probability.array, cpu.probability.array, atol=0.02)   # float16 autocast
