"""A PACS over DICOMweb (dicomweb-client): find studies (QIDO-RS), fetch a series (WADO-RS), store (STOW-RS).

Every network failure becomes a `PacsError` (one line: the URL and what went wrong). `send_objects` sends
one object per request so that, when one fails, the error says exactly which were stored before it.
This is the core API the front ends call (the web app's "Open from PACS" / "Send to PACS").
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DeepRadiologyError

__all__ = ["PacsError", "query_studies", "fetch_series", "send_objects", "list_series"]

DEFAULT_TIMEOUT_S = 30.0


class PacsError(DeepRadiologyError):
    """The PACS could not be reached or refused a request."""


def _client(url: str, timeout_s: float):
    from dicomweb_client.api import DICOMwebClient

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
        why = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return PacsError(f"{url}: {what} failed: PACS {why}")


def _v(ds_json: dict, tag: str) -> str:
    value = ds_json.get(tag, {}).get("Value", [""])[0]
    if isinstance(value, dict):  # person names
        return str(value.get("Alphabetic", ""))
    return str(value)


def query_studies(url: str, *, patient_id: str = "", timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict]:
    """QIDO-RS studies (of ``patient_id`` when given):
    [{study_uid, patient_id, patient_name, date, description, modalities, study_id}], oldest first.
    ``modalities`` is ModalitiesInStudy joined by "/" ("" when the PACS does not return it)."""
    client, _ = _client(url, timeout_s)
    filters = {"PatientID": patient_id} if patient_id else None
    try:
        # StudyDescription is not a QIDO-RS default study attribute (PS3.18), nor everywhere the others: ask.
        found = client.search_for_studies(search_filters=filters,
                                          fields=["ModalitiesInStudy", "StudyID", "PatientName",
                                                  "StudyDescription"])
    except Exception as exc:  # noqa: BLE001 - dicomweb-client/requests raise many types
        raise _fail(url, exc, "study query") from None
    return sorted(({"study_uid": _v(s, "0020000D"), "patient_id": _v(s, "00100020"),
                    "patient_name": _v(s, "00100010"), "date": _v(s, "00080020"),
                    "description": _v(s, "00081030"), "study_id": _v(s, "00200010"),
                    "modalities": "/".join(str(m) for m in s.get("00080061", {}).get("Value", []))}
                   for s in found),
                  key=lambda s: (s["date"], s["study_uid"]))


def list_series(url: str, study_uid: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[dict]:
    """QIDO-RS series of one study: [{series_uid, modality, description, instances}].

    ``instances`` is NumberOfSeriesRelatedInstances, or None when the PACS does not say."""
    client, _ = _client(url, timeout_s)
    try:
        found = client.search_for_series(study_instance_uid=study_uid,
                                         fields=["SeriesDescription", "NumberOfSeriesRelatedInstances"])
    except Exception as exc:  # noqa: BLE001
        raise _fail(url, exc, f"series query of study {study_uid}") from None
    return [{"series_uid": _v(s, "0020000E"), "modality": _v(s, "00080060"),
             "description": _v(s, "0008103E"),
             "instances": int(_v(s, "00201209")) if _v(s, "00201209").isdigit() else None} for s in found]


def fetch_series(url: str, study_uid: str, series_uid: str, folder: str | Path, *,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Path]:
    """WADO-RS one series into ``folder`` (one file per instance, named by SOP Instance UID)."""
    client, _ = _client(url, timeout_s)
    try:
        instances = client.retrieve_series(study_uid, series_uid)
    except Exception as exc:  # noqa: BLE001
        raise _fail(url, exc, f"retrieval of series {series_uid}") from None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in instances:
        path = folder / f"{ds.SOPInstanceUID}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def send_objects(url: str, files: list[str | Path], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """STOW-RS each file; returns the stored SOP Instance UIDs.

    Raises:
        PacsError: naming the object that failed and how many (and which files) were stored before it.
    """
    import pydicom

    client, _ = _client(url, timeout_s)
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
