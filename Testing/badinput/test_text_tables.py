"""Issue 17: CSV inputs that are not UTF-8 text give one line naming the file, never a traceback.

Every command that reads a CSV is fed the same damaged versions of a table that it reads well: UTF-16
(with and without a byte-order mark, as spreadsheets export it), a Latin-1 byte on line 2 and on a
line far past the first 64 KiB, a binary file, a NUL byte, a field longer than the csv module allows,
and a gzip stream cut off half way. Each must exit 2 with one line, and write no output.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _cli import assert_refused, run_cli  # noqa: E402

DL_INFO = (
    "File_name,Patient_index,Study_index,Series_ID,Key_slice_index,Measurement_coordinates,Bounding_boxes,"
    "Lesion_diameters_Pixel_,Normalized_lesion_location,Coarse_lesion_type,Possibly_noisy,Slice_range,"
    "Spacing_mm_px_,Image_size,DICOM_windows,Patient_gender,Patient_age,Train_Val_Test\n"
    '000001_01_01_109.png,1,1,1,109,"233.537, 95.0204, 234.057, 106.977, 231.169, 101.605, 236.252, 101.143",'
    '"226.169, 90.0204, 241.252, 111.977","11.9677, 5.10387","0.44666, 0.283794, 0.434454",3,0,"103, 115",'
    '"0.488281, 0.488281, 5","512, 512","-175, 275",F,62.0,3\n')

LABELS = ("filename,Atelectasis,Cardiomegaly,Effusion,Infiltration,Mass,Nodule,Pneumonia,Pneumothorax,"
          "Consolidation,Edema,Emphysema,Fibrosis,Pleural_Thickening,Hernia,normal\n"
          "r1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1\n")

# (command, a table it reads well, arguments with {table} and {out})
COMMANDS = [
    ("reports-assert", "id,phrase,sentence\n1,effusion,No pleural effusion.\n",
     ["reports", "assert", "{table}", "-o", "{out}.csv"]),
    ("reports-label", "filename,report\nr1,No pleural effusion. The heart is normal.\n",
     ["reports", "label", "{table}", "-o", "{out}.csv"]),
    ("reports-eval-gold", LABELS,
     ["reports", "eval", "--pred", "{good}", "--gold", "{table}"]),
    ("retrieval-import-deeplesion", DL_INFO, ["retrieval", "import", "{out}.sqlite", "--deeplesion", "{table}"]),
    ("retrieval-import-recist-table", "lesion_id,patient,study,long_axis_mm,short_axis_mm\nL1,P1,S0,20,10\n",
     ["retrieval", "import", "{out}.sqlite", "--recist-table", "{table}"]),
    ("recist-eval-deeplesion", DL_INFO,
     ["recist", "eval-deeplesion", "--dl-info", "{table}", "--images", "{images}", "-o", "{out}.json"]),
]


def _line2_latin1(text: str) -> bytes:
    lines = text.encode().split(b"\n")
    lines[1] += b"\xe9"                     # an e-acute in Latin-1, invalid as UTF-8, ends line 2's last field
    return b"\n".join(lines)


def _late_latin1(text: str) -> bytes:
    header, row = text.encode().split(b"\n")[:2]
    body = b"".join(row + b"\n" for _ in range(3000))   # about 100-700 KiB: past the 64 KiB first look
    return header + b"\n" + body + row + b"\xe9\n"      # header is line 1, the copies 2-3001, the bad row 3002


def _cut(data: bytes) -> bytes:
    return data[:len(data) // 2]


ENCODINGS = [
    ("utf16-with-bom", lambda t: t.encode("utf-16"), ["UTF-16"]),
    ("utf16-without-bom", lambda t: t.encode("utf-16-le"), ["UTF-16"]),
    ("latin1-on-line-2", _line2_latin1, ["line 2", "not UTF-8"]),
    ("latin1-on-line-3002", _late_latin1, ["line 3002", "not UTF-8"]),
    ("binary", lambda t: bytes(range(256)) * 40, ["binary"]),
    ("nul-byte", lambda t: t.encode().replace(b",", b",\0", 1), ["binary"]),
    ("over-long-field", lambda t: t.encode() + b'"' + b"a" * 200_000 + b'"\n', ["line 3", "field limit"]),
    ("gzip-cut-off", lambda t: _cut(gzip.compress(_late_latin1(t)[:-2] + b"\n")), ["cut-off"]),
]


@pytest.mark.parametrize("encoding,damage,phrases", ENCODINGS, ids=[e[0] for e in ENCODINGS])
@pytest.mark.parametrize("command,good,argv", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_a_damaged_table_is_one_line_and_nothing_is_written(tmp_path, command, good, argv, encoding, damage,
                                                            phrases):
    table = tmp_path / "table.csv"
    table.write_bytes(damage(good))
    (tmp_path / "good.csv").write_text(good, encoding="utf-8")
    (tmp_path / "images").mkdir()
    args = [a.format(table=table, out=tmp_path / "out", good=tmp_path / "good.csv", images=tmp_path / "images")
            for a in argv]
    assert_refused(run_cli(args, cwd=tmp_path), "table.csv", *phrases)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.csv", "images", "table.csv"]


@pytest.mark.parametrize("command,good,argv", COMMANDS[:2], ids=[c[0] for c in COMMANDS[:2]])
def test_the_same_table_in_utf8_with_a_byte_order_mark_is_read(tmp_path, command, good, argv):
    tables = [("plain.csv", good.encode("utf-8-sig"))]
    if command == "reports-assert":           # `reports label` takes .csv, .txt, .xml, .tgz only
        tables.append(("zipped.csv.gz", gzip.compress(good.encode())))
    for name, data in tables:
        (tmp_path / name).write_bytes(data)
        args = [a.format(table=tmp_path / name, out=tmp_path / f"out-{name}") for a in argv]
        result = run_cli(args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
