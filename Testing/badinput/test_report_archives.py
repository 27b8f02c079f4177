"""Issue 17 item 6: report archives are read member by member with a size cap, never whole.

The archives are built by hand here (a tar header that declares a huge member, a cut-off gzip
stream), so the test does not rely on the reader under test to make its inputs.
"""

from __future__ import annotations

import gzip
import io
import resource
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from deepradiology.errors import InputError
from deepradiology.io.archive import iter_tar_members
from deepradiology.reports.openi import read_reports

REPO = Path(__file__).resolve().parents[2]
REPORT = (b'<?xml version="1.0"?><eCitation><uId id="CXR1"/><MedlineCitation><Article><Abstract>'
          b'<AbstractText Label="FINDINGS">The lungs are clear.</AbstractText>'
          b'<AbstractText Label="IMPRESSION">No acute disease.</AbstractText></Abstract></Article>'
          b'</MedlineCitation></eCitation>')


def _tgz(members: list[tuple[str, bytes, int | None]]) -> bytes:
    """A gzip-compressed tar; each member (name, data, declared size or None for the true size)."""
    raw = io.BytesIO()
    for name, data, declared in members:
        info = tarfile.TarInfo(name)
        info.size = len(data) if declared is None else declared
        raw.write(info.tobuf(format=tarfile.GNU_FORMAT))
        raw.write(data + b"\0" * (-len(data) % 512))
    raw.write(b"\0" * 1024)
    return gzip.compress(raw.getvalue())


def test_a_member_declaring_a_huge_size_is_refused_before_reading(tmp_path):
    path = tmp_path / "reports.tgz"
    path.write_bytes(_tgz([("ecgen-radiology/1.xml", REPORT, None), ("ecgen-radiology/2.xml", b"<a>", 1 << 30)]))
    assert path.stat().st_size < 2048
    with pytest.raises(InputError) as info:
        list(read_reports(path))
    message = str(info.value)
    assert "reports.tgz" in message and "2.xml" in message and str(1 << 30) in message, message


def test_a_cut_off_archive_is_one_error_naming_it(tmp_path):
    whole = _tgz([(f"r/{n}.xml", REPORT.replace(b"CXR1", f"CXR{n}".encode()) + b" " * 4000, None)
                  for n in range(20)])
    path = tmp_path / "cut.tgz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="cut.tgz.*(truncated|corrupt)"):
        list(read_reports(path))


def test_a_good_archive_still_reads_in_name_order(tmp_path):
    path = tmp_path / "ok.tgz"
    path.write_bytes(_tgz([(f"r/{n}.xml", REPORT.replace(b"CXR1", f"CXR{n}".encode()), None) for n in (10, 2, 1)]))
    reports = list(read_reports(path))
    assert [r.report_id for r in reports] == ["CXR1", "CXR2", "CXR10"]
    assert reports[0].text == "The lungs are clear. No acute disease."


def test_the_cap_is_configurable(tmp_path, monkeypatch):
    path = tmp_path / "ok.tgz"
    path.write_bytes(_tgz([("r/1.xml", REPORT, None)]))
    monkeypatch.setenv("DEEPRADIOLOGY_MAX_MEMBER_BYTES", "100")
    with pytest.raises(InputError, match="more than the limit of 100"):
        list(iter_tar_members(path, suffix=".xml"))
    monkeypatch.setenv("DEEPRADIOLOGY_MAX_MEMBER_BYTES", "-5")
    with pytest.raises(InputError, match="DEEPRADIOLOGY_MAX_MEMBER_BYTES"):
        list(iter_tar_members(path, suffix=".xml"))


def _limited(limit_bytes: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


@pytest.mark.slow
def test_reports_label_on_a_real_gzip_bomb_exits_2_in_bounded_memory(tmp_path):
    """A 300 MB XML member that gzip packs into about 300 KB, under a 1.5 GiB address-space limit."""
    path = tmp_path / "bomb.tgz"
    body = b"<AbstractText>" + b"A" * (300 << 20) + b"</AbstractText>"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("ecgen-radiology/big.xml")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    del body
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(raw.getvalue())
    del raw
    out = tmp_path / "labels.csv"
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin",
           "DEEPRADIOLOGY_MAX_MEMBER_BYTES": str(64 << 20)}
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "deepradiology", "reports", "label", str(path), "-o", str(out)],
                            capture_output=True, text=True, env=env, timeout=120,
                            preexec_fn=_limited(3 << 29))
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and "bomb.tgz" in lines[0], result.stderr
    assert "big.xml" in lines[0]
    assert not out.exists() and not Path(f"{out}.problems.csv").exists()
    assert time.monotonic() - start < 60


def _twenty_reports() -> bytes:
    return _tgz([(f"r/{n}.xml", REPORT.replace(b"CXR1", f"CXR{n}".encode()) + b" " * 4000, None) for n in range(20)])


BROKEN_ARCHIVES = [
    ("cut-at-10-percent", lambda whole: whole[: len(whole) // 10], ["cut.tgz"]),
    ("cut-at-half", lambda whole: whole[: len(whole) // 2], ["cut.tgz"]),
    ("cut-at-90-percent", lambda whole: whole[: len(whole) * 9 // 10], ["cut.tgz"]),
    ("gzip-header-only", lambda whole: whole[:10], ["cut.tgz"]),
    ("not-gzip-at-all", lambda whole: b"PK\x03\x04 a zip file, not a tgz" * 100, ["cut.tgz", "not a tar archive"]),
    ("gzip-of-no-tar", lambda whole: gzip.compress(b"plain text, not a tar archive\n" * 100),
     ["cut.tgz", "not a tar archive"]),
]


@pytest.mark.parametrize("case,damage,phrases", BROKEN_ARCHIVES, ids=[c[0] for c in BROKEN_ARCHIVES])
def test_reports_label_on_a_broken_archive_is_one_line_and_writes_nothing(tmp_path, case, damage, phrases):
    path = tmp_path / "cut.tgz"
    path.write_bytes(damage(_twenty_reports()))
    env = {"PYTHONPATH": str(REPO / "DeepRadiologyLib"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "deepradiology", "reports", "label", str(path), "-o",
                             str(tmp_path / "labels.csv")], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(p in lines[0] for p in phrases), lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.tgz"], "nothing written, not even a partial file"
