"""A PACS over DICOMweb (dicomweb-client): find studies (QIDO-RS), fetch a series (WADO-RS), store (STOW-RS).

Every network failure becomes a `PacsError` (one line: the URL and what went wrong). `send_objects` sends
one object per request so that, when one fails, the error says exactly which were stored before it.
This is the core API the front ends call (the web app's "Open from PACS" / "Send to PACS").
"""

from __future__ import annotations

import math
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

from ..errors import DeepRadiologyError

__all__ = ["PacsError", "query_studies", "fetch_series", "send_objects", "list_series"]

DEFAULT_TIMEOUT_S = 30.0


class PacsError(DeepRadiologyError):
    """The PACS could not be reached or refused a request."""


#: A DICOM UID (PS3.5 9.1): digits and dots, at most 64 characters. Also what makes a safe file name.
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")


def _client(url: str, timeout_s: float):
    from urllib.parse import urlparse

    from dicomweb_client.api import DICOMwebClient

    parsed = urlparse((url or "").strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        shown = repr(url) if url else "an empty address"
        raise PacsError(f"PACS URL: {shown} is not an http(s) DICOMweb address, e.g. http://localhost:8042/dicom-web")
    if not (isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s) and timeout_s > 0):
        raise PacsError(f"--timeout: must be a positive number of seconds, got {timeout_s}")
    client = DICOMwebClient(url=url, timeout=timeout_s)
    # One retry after ~0.5 s for 429/408/503/504: enough for a busy PACS, short enough for an interactive CLI.
    client.set_http_retry_params(retry=True, max_attempts=2, wait_exponential_multiplier=250)
    return client, None


def _fail(url: str, exc: Exception, what: str) -> PacsError:
    import requests

    last = getattr(exc, "last_attempt", None)  # retrying.RetryError: the final attempt's outcome
    if last is not None:
        value = last.value
        if isinstance(value, tuple) and len(value) == 3:  # an exception was raised: (type, exc, traceback)
            exc = value[1]
        elif isinstance(value, requests.Response):
            return PacsError(f"{url}: {what} failed: PACS answered HTTP {value.status_code} {value.reason} "
                             "(after a retry)")
    if isinstance(exc, requests.exceptions.Timeout):
        why = "timed out"
    elif isinstance(exc, requests.exceptions.ConnectionError):
        why = "unreachable (connection refused or no route)"
    elif isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        why = f"answered HTTP {exc.response.status_code} {exc.response.reason}"
    else:
        why = _not_dicomweb(exc)
    return PacsError(f"{url}: {what} failed: PACS {why}")


def _not_dicomweb(exc: Exception) -> str:
    """Why an answer that arrived was of no use, in words (not the parser's exception class)."""
    import json

    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, json.JSONDecodeError):
        return ("answered something that is not DICOM JSON (a web page? check that the URL is the server's "
                "DICOMweb root)")
    media = re.search(r'Unexpected media type: "?([^".]+)', text)
    if media:
        return (f"answered {media.group(1)}, not DICOM (a web page? check that the URL is the server's "
                "DICOMweb root)")
    if type(exc).__name__ == "InvalidDicomError":
        return "sent an object that is not a DICOM file"
    return f"gave an answer that could not be used ({text or 'no detail'})"


@contextmanager
def _request(url: str, what: str):
    """One DICOMweb exchange: any failure is one `PacsError`; dicomweb-client's warnings about a
    non-conformant answer are passed on only when the exchange succeeds (else the error says it all)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except PacsError:
            raise
        except Exception as exc:  # noqa: BLE001 - dicomweb-client/requests/pydicom raise many types
            raise _fail(url, exc, what) from None
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)


def _entries(url: str, found, what: str) -> list[dict]:
    """QIDO-RS answers: a list of DICOM JSON objects ({tag: {"vr", "Value"}}); anything else is refused."""
    if not isinstance(found, list) or not all(isinstance(e, dict) and all(isinstance(v, dict) for v in e.values())
                                              for e in found):
        raise PacsError(f"{url}: {what} failed: PACS answered JSON that is not a DICOM JSON list of objects "
                        "(check that the URL is the server's DICOMweb root)")
    return found


def _uid(url: str, entry: dict, tag: str, what: str) -> str:
    uid = _v(entry, tag)
    if not _UID.fullmatch(uid) or len(uid) > 64:
        raise PacsError(f"{url}: {what} failed: PACS answered an entry without a valid UID in ({tag[:4]},{tag[4:]}) "
                        f"({uid[:70]!r} is not digits and dots)")
    return uid


def _v(ds_json: dict, tag: str) -> str:
    values = ds_json.get(tag, {}).get("Value") or [""]
    value = values[0] if isinstance(values, list) else values
    if isinstance(value, dict):  # person names
        return str(value.get("Alphabetic", ""))
    return str(value)


def query_studies(url: str, *, patient_id: str = "", timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict]:
    """QIDO-RS studies (of ``patient_id`` when given):
    [{study_uid, patient_id, patient_name, date, description, modalities, study_id}], oldest first.
    ``modalities`` is ModalitiesInStudy joined by "/" ("" when the PACS does not return it)."""
    client, _ = _client(url, timeout_s)
    filters = {"PatientID": patient_id} if patient_id else None
    with _request(url, "study query"):
        # StudyDescription is not a QIDO-RS default study attribute (PS3.18), nor everywhere the others: ask.
        found = client.search_for_studies(search_filters=filters,
                                          fields=["ModalitiesInStudy", "StudyID", "PatientName",
                                                  "StudyDescription"])
    found = _entries(url, found, "study query")
    return sorted(({"study_uid": _uid(url, s, "0020000D", "study query"), "patient_id": _v(s, "00100020"),
                    "patient_name": _v(s, "00100010"), "date": _v(s, "00080020"),
                    "description": _v(s, "00081030"), "study_id": _v(s, "00200010"),
                    "modalities": "/".join(str(m) for m in (s.get("00080061", {}).get("Value") or [])
                                           if isinstance(s.get("00080061", {}).get("Value"), list))}
                   for s in found),
                  key=lambda s: (s["date"], s["study_uid"]))


def list_series(url: str, study_uid: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict]:
    """QIDO-RS series of one study: [{series_uid, modality, description, instances}].

    ``instances`` is NumberOfSeriesRelatedInstances, or None when the PACS does not say."""
    client, _ = _client(url, timeout_s)
    what = f"series query of study {study_uid}"
    with _request(url, what):
        found = client.search_for_series(study_instance_uid=study_uid,
                                         fields=["SeriesDescription", "NumberOfSeriesRelatedInstances"])
    found = _entries(url, found, what)
    return [{"series_uid": _uid(url, s, "0020000E", what), "modality": _v(s, "00080060"),
             "description": _v(s, "0008103E"),
             "instances": int(_v(s, "00201209")) if _v(s, "00201209").isdigit() else None} for s in found]


def fetch_series(url: str, study_uid: str, series_uid: str, folder: str | Path, *,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Path]:
    """WADO-RS one series into ``folder`` (one file per instance, named by SOP Instance UID)."""
    client, _ = _client(url, timeout_s)
    what = f"retrieval of series {series_uid}"
    with _request(url, what):
        instances = list(client.retrieve_series(study_uid, series_uid))
    if not instances:
        raise PacsError(f"{url}: {what} failed: the PACS returned no instances of it")
    # every name first: a SOP Instance UID is the file name, so one that is not a UID ("../x") must
    # not choose where a file goes, and nothing is written unless all can be
    names = []
    for ds in instances:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydicom's "invalid value for VR UI": refused just below, in words
            uid = str(getattr(ds, "SOPInstanceUID", ""))
        if not _UID.fullmatch(uid) or len(uid) > 64:
            raise PacsError(f"{url}: {what} failed: the PACS sent an instance without a valid SOP Instance UID "
                            f"({uid[:70]!r}); nothing was written")
        names.append(f"{uid}.dcm")
    if len(set(names)) != len(names):
        raise PacsError(f"{url}: {what} failed: the PACS sent one SOP Instance UID twice; nothing was written")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds, name in zip(instances, names):
        path = folder / name
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def send_objects(url: str, files: list[str | Path], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """STOW-RS each file; returns the stored SOP Instance UIDs.

    Raises:
        PacsError: naming the object that failed and how many (and which files) were stored before it.
    """
    import pydicom

    from ..errors import InputError

    client, _ = _client(url, timeout_s)
    if not files:
        raise InputError("send", "no .dcm files to send")
    for f in files:  # every header is read before the first is sent: a bad file stops the send with nothing stored
        try:
            pydicom.dcmread(f, stop_before_pixels=True)
        except (pydicom.errors.InvalidDicomError, EOFError, ValueError, KeyError, TypeError) as exc:
            detail = ("no DICOM file header" if isinstance(exc, pydicom.errors.InvalidDicomError)
                      else str(exc).splitlines()[0] if str(exc) else "cut short")
            raise InputError(f, f"is not a readable DICOM file ({detail}); nothing was sent") from None
    stored: list[str] = []
    for f in files:
        ds = pydicom.dcmread(f)
        try:
            client.store_instances([ds])
        except Exception as exc:  # noqa: BLE001
            err = _fail(url, exc, f"storing {f}")
            done = ", ".join(stored) if len(stored) <= 3 else f"{', '.join(stored[:3])}, ..."
            raise PacsError(f"{err}; {len(stored)} of {len(files)} objects were stored before it"
                            f"{': ' + done if stored else ''}") from None
        stored.append(str(Path(f)))
    return [str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files]
