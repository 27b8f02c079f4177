"""Bad input to ``deepradiology recist``: a one-line error and exit 2, never a traceback, no output written."""

from __future__ import annotations

import numpy as np
import pytest

from deepradiology.cli import main


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    nib = pytest.importorskip("nibabel", reason="nibabel is not installed: pip install nibabel")
    folder = tmp_path_factory.mktemp("recist_bad")
    rng = np.random.default_rng(0)
    ct = rng.normal(40, 10, (32, 32, 8)).astype(np.float32)
    nib.save(nib.Nifti1Image(ct, np.eye(4)), str(folder / "ct.nii.gz"))
    nib.save(nib.Nifti1Image(np.stack([ct, ct], axis=-1), np.eye(4)), str(folder / "v4d.nii.gz"))
    nib.save(nib.Nifti1Image((ct + 1j).astype(np.complex64), np.eye(4)), str(folder / "cplx.nii.gz"))
    return folder


@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf"])
def test_max_diameter_must_be_a_positive_finite_number(small_files, tmp_path, capsys, value):
    out = tmp_path / "o.json"
    code = main(["recist", "measure", str(small_files / "ct.nii.gz"), "--point", "10,10,2", "--frame", "ijk",
                 "-o", str(out), f"--max-diameter={value}"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert "--max-diameter" in err and "positive" in err and len(err.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("name, words", [("cplx.nii.gz", "complex"), ("v4d.nii.gz", "4D")])
def test_complex_or_4d_volumes_are_refused_with_the_file_name(small_files, tmp_path, capsys, name, words):
    out = tmp_path / "o.json"
    code = main(["recist", "measure", str(small_files / name), "--point", "10,10,2", "--frame", "ijk",
                 "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert name in err and words in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_function_api_refuses_a_bad_max_diameter():
    from deepradiology.errors import InputError
    from deepradiology.image import Image
    from deepradiology.recist import measure_lesion

    image = Image(np.full((4, 16, 16), 40.0, dtype=np.float32))
    for bad in (0.0, -1.0, float("nan"), "x"):
        with pytest.raises(InputError, match="max_diameter_mm"):
            measure_lesion(image, click=(8, 8, 2), max_diameter_mm=bad)


def test_benchmark_repeats_must_be_positive(capsys):
    assert main(["recist", "benchmark", "--repeats", "0"]) == 2
    assert "--repeats" in capsys.readouterr().err


@pytest.mark.parametrize("seeds", ["", "a,b", "-1"])
def test_benchmark_clicks_refuses_bad_seeds(capsys, seeds):
    from deepradiology.cli import main

    assert main(["recist", "benchmark-clicks", "--seeds", seeds]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_benchmark_clicks_on_the_real_ct_without_the_data_is_one_line_and_exit_2(capsys, tmp_path):
    from deepradiology.cli import main

    assert main(["recist", "benchmark-clicks", "--real-ct", "--shared-data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "example_ct.nii.gz" in err[0]
