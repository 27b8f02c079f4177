"""Issue 17, round 4: `deepradiology pacs` (and the PACS panel, which calls the same core) against a
server that is not the DICOMweb it was told it is, and against careless addresses.

The server is a local scripted HTTP server (never the internet): it answers a login page with HTTP 200,
JSON of the wrong shape, studies without or with a forged UID, an empty or HTML series, an instance
whose SOP Instance UID would choose the file's path ("../"), and counts what was POSTed. Each case:
exit 2, one line naming the problem, no traceback, nothing written, nothing sent.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deepradiology.cli import main


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up must not print a traceback into a later test's stderr


class ScriptedPacs:
    """Answers every GET with (status, content type, body); counts POSTs (STOW-RS)."""

    def __init__(self, status: int, content_type: str, body: bytes):
        outer = self
        self.posts = 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.posts += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/dicom+json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = _Quiet(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/dicom-web"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _refused(capsys, argv, *phrases) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and "Traceback" not in err[0], err
    for phrase in phrases:
        assert phrase in err[0], err[0]
    return err[0]


DICOM_JSON = "application/dicom+json"
LOGIN_PAGE = b"<html><body><form>Login</form></body></html>"

QUERY_ANSWERS = [
    ("a login page with HTTP 200", 200, "text/html", LOGIN_PAGE, "not DICOM JSON"),
    ("a JSON object, not a list", 200, DICOM_JSON, b'{"studies": []}', "not a DICOM JSON list"),
    ("a list of numbers", 200, DICOM_JSON, b"[1, 2]", "not a DICOM JSON list"),
    ("a tag whose value is a bare string", 200, DICOM_JSON, b'[{"0020000D": "1.2.3"}]', "not a DICOM JSON list"),
    ("a study without its UID", 200, DICOM_JSON, b'[{"0020000D": {"vr": "UI"}}]', "valid UID"),
    ("a study UID that is a path", 200, DICOM_JSON, b'[{"0020000D": {"vr": "UI", "Value": ["../../x"]}}]',
     "valid UID"),
    ("a study whose series have no UID", 200, DICOM_JSON, b'[{"0020000D": {"vr": "UI", "Value": ["1.2.3"]}}]',
     "(0020,000E)"),
    ("HTTP 500 with an HTML body", 500, "text/html", b"<html>Internal error</html>", "HTTP 500"),
]


@pytest.mark.parametrize("case,status,kind,body,phrase", QUERY_ANSWERS, ids=[c[0] for c in QUERY_ANSWERS])
def test_a_query_answered_with_no_dicomweb_is_one_line(capsys, case, status, kind, body, phrase):
    server = ScriptedPacs(status, kind, body)
    try:
        line = _refused(capsys, ["pacs", "--url", server.url, "--timeout", "5", "query"], server.url, phrase)
    finally:
        server.close()
    assert "Error:" not in line and "Exception" not in line  # words, not a parser's exception class


def _multipart(dataset_bytes: bytes) -> tuple[str, bytes]:
    boundary = "deepradiologyboundary"
    body = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + dataset_bytes
            + f"\r\n--{boundary}--\r\n".encode())
    return f'multipart/related; type="application/dicom"; boundary={boundary}', body


def _ct_instance(sop_uid: str) -> bytes:
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = CTImageStorage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns that "../../evil" is no UID: that is the point
        ds.SOPInstanceUID = sop_uid
    ds.Modality = "CT"
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _retrievals():
    path_type, path_body = _multipart(_ct_instance("../../evil"))
    return [
        ("an HTML page", 200, "text/html", b"<html>not here</html>", "text/html"),
        ("no instances", 200, DICOM_JSON, b"[]", "DICOM"),
        ("an instance whose SOP UID is a path", 200, path_type, path_body, "SOP Instance UID"),
    ]


@pytest.mark.parametrize("case,status,kind,body,phrase", _retrievals(), ids=[c[0] for c in _retrievals()])
def test_a_retrieval_that_brings_no_usable_series_writes_nothing(capsys, tmp_path, case, status, kind, body, phrase):
    server = ScriptedPacs(status, kind, body)
    out = tmp_path / "series"
    try:
        _refused(capsys, ["pacs", "--url", server.url, "--timeout", "5", "get", "--study", "1.2", "--series", "1.3",
                          "-o", str(out)], phrase)
    finally:
        server.close()
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.parent.rglob("evil*")) == []


@pytest.mark.parametrize("url,phrase", [("ftp://pacs.example/dicom-web", "ftp://"), ("localhost:8042/dicom-web", "http(s)"),
                                        ("", "empty address"), ("http://", "http(s)")],
                         ids=["ftp", "no scheme", "empty", "no host"])
def test_a_careless_address_is_refused_before_any_request(capsys, url, phrase):
    _refused(capsys, ["pacs", "--url", url, "query"], "PACS URL", phrase)


def test_a_closed_port_is_unreachable_in_one_line(capsys):
    with socket.socket() as s:  # a port nothing listens on (bound, then closed)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _refused(capsys, ["pacs", "--url", f"http://127.0.0.1:{port}/dicom-web", "--timeout", "5", "query"], "unreachable")


def test_sending_a_file_that_is_not_dicom_sends_nothing(capsys, tmp_path):
    good = tmp_path / "a.dcm"
    good.write_bytes(_ct_instance("1.2.3.4.5"))
    bad = tmp_path / "notes.dcm"
    bad.write_text(json.dumps({"note": "not DICOM"}))
    server = ScriptedPacs(200, DICOM_JSON, b"[]")
    try:
        _refused(capsys, ["pacs", "--url", server.url, "--timeout", "5", "send", str(good), str(bad)], "notes.dcm",
                 "nothing was sent")
    finally:
        server.close()
    assert server.posts == 0  # the good file before it was not sent either


def test_serve_refuses_a_careless_pacs_address_at_start(capsys):
    _refused(capsys, ["serve", "--pacs", "localhost:8042", "--port", "0"], "PACS URL")


def _series_list(*modalities: str) -> bytes:
    return json.dumps([{"0020000E": {"vr": "UI", "Value": [f"1.2.3.{n}"]}, "00080060": {"vr": "CS", "Value": [m]},
                        "00201209": {"vr": "IS", "Value": [1]}} for n, m in enumerate(modalities, start=1)]).encode()


def test_the_pacs_panel_refuses_a_study_without_an_image_series_and_keeps_no_folder():
    from deepradiology.errors import InputError
    from deepradiology_web.pacs_link import PacsLink

    server = ScriptedPacs(200, DICOM_JSON, _series_list("SR", "SEG", "KO"))
    link = PacsLink(scene=None, studies=None, lesions=None, timeout_s=5)
    try:
        with pytest.raises(InputError, match="has no CT/MR/PT/NM image series"):
            link.fetch(server.url, {"study_uid": "1.2.3", "study_id": "A17"})
        assert list(link._folder.iterdir()) == []  # nothing fetched, no half-made copy of patient images
    finally:
        server.close()


def test_the_pacs_panel_refuses_a_series_the_pacs_cannot_deliver_and_keeps_no_folder():
    from deepradiology.dicom.pacs import PacsError
    from deepradiology_web.pacs_link import PacsLink

    # the series list names a CT, but every GET (the retrieval too) answers that list: no DICOM instances
    server = ScriptedPacs(200, DICOM_JSON, _series_list("CT"))
    link = PacsLink(scene=None, studies=None, lesions=None, timeout_s=5)
    try:
        with pytest.raises(PacsError):
            link.fetch(server.url, {"study_uid": "1.2.3"})
        assert list(link._folder.iterdir()) == []
    finally:
        server.close()
