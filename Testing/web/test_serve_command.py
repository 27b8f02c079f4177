"""``deepradiology serve`` checks what it is asked to open before it listens, and its embedded
default is the synthetic patient (plus the real data when configured)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_a_missing_input_stops_the_server_at_start_with_its_name(tmp_path):
    missing = tmp_path / "no_such_ct.nii.gz"
    run = subprocess.run([sys.executable, "-m", "deepradiology", "serve", "--port", "0", str(missing)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "no_such_ct.nii.gz" in run.stderr and "serving at" not in run.stdout


def test_a_short_token_is_refused():
    from deepradiology.errors import InputError
    from deepradiology_web.security import AccessPolicy

    with pytest.raises(InputError, match="at least 8"):
        AccessPolicy(host="127.0.0.1", token="abc")


def test_the_embedded_default_is_three_phantom_studies_with_their_readings(tmp_path, monkeypatch):
    from deepradiology.lesion import load_lesions
    from deepradiology_web.default_data import Case, embedded_default_case

    monkeypatch.delenv("DEEPRADIOLOGY_SHARED_DATA", raising=False)
    case = embedded_default_case(tmp_path, spacing=(2.4, 2.4, 6.0))
    assert [im.kind for im in case.images] == ["ct", "ct", "ct"]
    assert len({im.patient for im in case.images}) == 1 and case.images[0].date < case.images[2].date
    assert all(load_lesions(im.lesions) for im in case.images)
    assert case.lesion_database and Case.load(case.save(tmp_path / "case.json")).images == case.images


def test_the_real_ct_and_chest_film_join_the_default_when_the_shared_data_is_configured(tmp_path, shared_data):
    from deepradiology_web.default_data import embedded_default_case

    case = embedded_default_case(tmp_path, spacing=(2.4, 2.4, 6.0), shared_data=shared_data)
    assert [im.kind for im in case.images] == ["ct", "ct", "ct", "ct", "radiograph"]
    assert "real example CT" in case.description
