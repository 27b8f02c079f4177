"""Shared fixtures: the real public data folder, and phantoms made once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout, or ``$DEEPRADIOLOGY_SHARED_DATA``."""
    return Path(os.environ.get("DEEPRADIOLOGY_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """A path in the shared data folder; skips the calling test with a reason when it is absent."""
    path = shared_data_dir() / relative
    if not path.exists():
        pytest.skip(f"real public data not found: {path} (set DEEPRADIOLOGY_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"real public data folder not found: {path} (set DEEPRADIOLOGY_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def a_phantom_patient():
    """Seed 0, three studies at the default resolution (0.8 x 0.8 x 2.5 mm)."""
    from deepradiology.phantom import generate_phantom

    return generate_phantom(0, n_studies=3)


@pytest.fixture(scope="session")
def a_coarse_phantom_patient():
    """Seed 1, three studies at 1.6 x 1.6 x 4 mm: quick to make, for tests that do not measure."""
    from deepradiology.phantom import generate_phantom

    return generate_phantom(1, n_studies=3, spacing=(1.6, 1.6, 4.0))


class CancelAtCall:
    """A progress callback that raises `Cancelled` at its ``n``-th call, as a front end's Cancel does, and
    counts the calls after it (a loop that goes on after a cancel calls progress again)."""

    def __init__(self, n: int) -> None:
        self.n, self.calls, self.calls_after_cancel = n, 0, 0
        self.messages: list[str] = []
        self.cancelled_at: float | None = None

    def __call__(self, fraction: float, message: str = "") -> None:
        import time

        from deepradiology.progress import Cancelled

        if self.cancelled_at is not None:
            self.calls_after_cancel += 1
            return
        self.calls += 1
        self.messages.append(message)
        if self.calls == self.n:
            self.cancelled_at = time.monotonic()
            raise Cancelled("test cancel")

    def run_until_cancelled(self, work, *, within_s: float = 1.0):
        """Run ``work()``: it must raise `Cancelled` from this callback, make no progress call after it,
        and be out within ``within_s`` seconds of it."""
        import time

        from deepradiology.progress import Cancelled

        with pytest.raises(Cancelled):
            work()
        seconds = time.monotonic() - (self.cancelled_at or 0.0)
        assert self.cancelled_at is not None, f"the work ended after {self.calls} progress calls, before the cancel"
        assert self.calls_after_cancel == 0, f"{self.calls_after_cancel} progress calls after the cancel"
        assert seconds < within_s, f"the work took {seconds:.2f} s to stop after the cancel"


@pytest.fixture
def cancel_at_call():
    """``cancel_at_call(n)``: a `CancelAtCall` progress callback that cancels at its n-th call."""
    return CancelAtCall


@pytest.fixture
def a_scene():
    """A fresh, properly set-up MRML scene (`deepradiology_mrml.scene.create_scene`) on the slicer-core
    wheel, closed after the test; skips where the wheel is missing."""
    pytest.importorskip("slicer", reason="MRML tests need the slicer-core wheel (pip install slicer-core)")
    from deepradiology_mrml.scene import close_scene, create_scene

    scene = create_scene()
    yield scene
    close_scene(scene)


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # torch missing or broken: no GPU tests either way
        has_cuda = False
    if not has_cuda:
        skip = pytest.mark.skip(reason="needs a CUDA GPU, and torch sees none on this machine")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def a_quick_nnunet_folder(tmp_path_factory) -> Path:
    """A random-weight nnU-Net v2 result folder made by nnunetv2's own planning and trainer code
    (Testing/interop/make_nnunet_model.py --quick: 3 x 3 x 5 mm, one 80 x 112 x 128 patch), small enough for a
    whole CT in seconds. Skips, saying why, where nnunetv2 does not import (it is pinned in
    requirements/peer-nodeps.txt for the main venv)."""
    import subprocess
    import sys

    try:
        import nnunetv2.inference.predict_from_raw_data  # noqa: F401
    except Exception:
        pytest.skip("nnunetv2 does not import in this venv; `make venv` installs it from requirements/peer-nodeps.txt")
    out = tmp_path_factory.mktemp("nnunet-quick")
    done = subprocess.run([sys.executable, str(REPO / "Testing" / "interop" / "make_nnunet_model.py"), str(out),
                           "--quick"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])


def nnunet_reference_prediction(folder: Path, ct_file: Path, out: Path):
    """nnU-Net's own file-to-file prediction of ``ct_file`` (its predictor, SimpleITK reader and export):
    (label map, probabilities per label), arrays (k, j, i) on the file's grid."""
    import numpy as np
    import SimpleITK as sitk
    import torch
    from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

    src, dst = out / "in", out / "out"
    src.mkdir(parents=True)
    dst.mkdir()
    (src / "case_0000.nii.gz").write_bytes(ct_file.read_bytes())
    predictor = nnUNetPredictor(tile_step_size=0.5, use_gaussian=True, use_mirroring=True,
                                perform_everything_on_device=False, device=torch.device("cpu"), allow_tqdm=False)
    predictor.initialize_from_trained_model_folder(str(folder), use_folds=(0,))
    predictor.predict_from_files_sequential([[str(src / "case_0000.nii.gz")]], str(dst), save_probabilities=True)
    seg = sitk.GetArrayFromImage(sitk.ReadImage(str(dst / "case.nii.gz")))
    return seg, np.load(dst / "case.npz")["probabilities"]
