"""Issue 17 items 1-3: bad geometry, scaled voxels and size bombs in volume files.

Each generated file must give exit code 2 and one line naming the file and the problem, with no
traceback, no output written, and (for the size bombs, in a subprocess) bounded memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deepradiology.cli import main
from deepradiology.errors import InputError
from deepradiology.io import read_volume

sys.path.insert(0, str(Path(__file__).parent))
from _badvolumes import SHAPE, bad_volumes, scaled_int16, write  # noqa: E402

CASES = bad_volumes()


@pytest.mark.parametrize("name,data,phrase", CASES, ids=[c[0] for c in CASES])
def test_read_volume_refuses(tmp_path, name, data, phrase):
    path = write(tmp_path, name, data)
    with pytest.raises(InputError) as info:
        read_volume(path)
    message = str(info.value)
    assert name in message and phrase.lower() in message.lower(), message
    assert "\n" not in message


@pytest.mark.parametrize("name,data,phrase", [c for c in CASES if "spacing" in c[0] or "pixdim" in c[0]][:4])
def test_recist_measure_exits_2_and_writes_nothing(tmp_path, capsys, name, data, phrase):
    path = write(tmp_path, name, data)
    out = tmp_path / "lesion.json"
    code = main(["recist", "measure", str(path), "--point", "0,0,0", "--frame", "lps", "-o", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and name in err[0] and "Traceback" not in err[0], err
    assert not out.exists()


def test_int16_with_scl_slope_reads_as_scaled_hu(tmp_path):
    data, expected = scaled_int16()
    for name in ("scaled.nii", "scaled.nii.gz"):
        import gzip
        path = write(tmp_path, name, gzip.compress(data) if name.endswith(".gz") else data)
        image = read_volume(path)
        np.testing.assert_allclose(image.array, expected)
        assert image.spacing == pytest.approx((0.7, 0.7, 2.5))


def test_voxel_cap_is_configurable(tmp_path, monkeypatch):
    data, _ = scaled_int16()
    path = write(tmp_path, "ok.nii", data)
    monkeypatch.setenv("DEEPRADIOLOGY_MAX_VOXELS", str(int(np.prod(SHAPE)) - 1))
    with pytest.raises(InputError, match="over the limit"):
        read_volume(path)
    monkeypatch.setenv("DEEPRADIOLOGY_MAX_VOXELS", "-5")
    with pytest.raises(InputError, match="DEEPRADIOLOGY_MAX_VOXELS"):
        read_volume(path)


_LIMIT = 2 << 30  # 2 GiB of address space: a read that allocates the declared size dies here


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (_LIMIT, _LIMIT))


@pytest.mark.parametrize("name", ["bomb-2048.nii", "bomb-2048.nrrd"])
def test_size_bomb_in_subprocess_under_memory_limit(tmp_path, name):
    data = dict((c[0], c[1]) for c in CASES)[name]
    path = write(tmp_path, name, data)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "DeepRadiologyLib"))
    proc = subprocess.run([sys.executable, "-m", "deepradiology", "recist", "measure", str(path), "--point",
                           "0,0,0", "--frame", "lps", "-o", str(tmp_path / "x.json")],
                          capture_output=True, text=True, preexec_fn=_limit, env=env, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert lines and name in lines[-1] and "voxels" in lines[-1]
    assert "Traceback" not in proc.stderr
