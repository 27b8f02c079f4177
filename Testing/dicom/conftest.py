"""Fixtures for the DICOM tests: a phantom written as DICOM, and a real Orthanc with its DICOMweb plugin."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("highdicom", reason="highdicom is not installed (pip install the 'dicom' extra)")

DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")


def truth_lesions(folder: Path, study_id: str, truth: dict | None = None) -> list:
    """The phantom's ground-truth lesions of one study (``folder``/ground_truth.json) as lesion records."""
    from deepradiology.lesion import Lesion

    truth = truth or json.loads((folder / "ground_truth.json").read_text())
    entry = next(s for s in truth["studies"] if s["study_id"] == study_id)
    return [Lesion.from_dict({**d, "patient": truth["patient_id"], "study": study_id, "location": d["organ"]})
            for d in entry["lesions"]]


def dciodvfy_errors(path) -> list[str]:
    """dicom3tools' ``Error`` lines for one file; skips the test when dciodvfy is not installed."""
    if shutil.which("dciodvfy") is None:
        pytest.skip("dciodvfy (dicom3tools) is not installed (run Testing/install-dicom-tools.sh as root)")
    out = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    return [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def phantom_dicom(tmp_path_factory):
    """A 3-study phantom with ground_truth.json, NIfTI maps and <study>_dicom/ series (coarse 1.6 mm grid)."""
    from deepradiology.dicom.phantom_series import write_phantom_dicom
    from deepradiology.phantom import generate_phantom, write_phantom

    folder = tmp_path_factory.mktemp("phantom_dicom")
    phantom = generate_phantom(0, n_studies=3, spacing=(1.6, 1.6, 5.0))
    write_phantom(phantom, folder)
    write_phantom_dicom(phantom, folder)
    return folder


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """The DICOMweb root URL of a fresh Orthanc on a free loopback port, stopped at the end of the session."""
    binary = shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)
    if binary is None or not DICOMWEB_PLUGIN.exists():
        pytest.skip("Orthanc or its DICOMweb plugin is not installed (run Testing/install-dicom-tools.sh as root)")
    folder = tmp_path_factory.mktemp("orthanc")
    port = _free_port()
    config = {
        "Name": "DeepRadiologyTest", "StorageDirectory": str(folder / "db"), "IndexDirectory": str(folder / "db"),
        "HttpPort": port, "DicomServerEnabled": False, "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False, "HttpsVerifyPeers": False,
        "Plugins": [str(DICOMWEB_PLUGIN)], "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    log = open(folder / "orthanc.log", "wb")
    proc = subprocess.Popen([binary, str(folder / "config.json")], stdout=log, stderr=subprocess.STDOUT,
                            cwd=folder)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/system", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"Orthanc did not start; see {folder / 'orthanc.log'}")
        time.sleep(0.2)
    yield f"{base}/dicom-web"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
