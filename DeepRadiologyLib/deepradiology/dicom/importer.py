"""Read TID 1500 Measurement Reports (ours and others', e.g. OHIF's) and SEGs back into lesions and masks.

SR: every Measurement Group of the Imaging Measurements container becomes part of the lesion with its
Tracking Unique Identifier (groups sharing a UID merge: our planar + volumetric pair). Axes come from
SCOORD POLYLINEs (pixel coordinates of the referenced image); with the reference series they turn back
into LPS mm. SEG: each segment's frames land on the reference series' grid by their referenced SOP
Instance UIDs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError
from ..lesion import Lesion
from .codes import RECIST_CATEGORIES, RECIST_CATEGORY_NAME, site_word
from .reference import ReferenceSeries

__all__ = ["import_dicom", "read_sr", "read_seg"]

_LONG = {"103339001", "G-A185"}
_SHORT = {"103340004", "G-A186"}
_LENGTH = {"410668003", "G-D7FE"}
_VOLUME = {"118565006", "G-D705"}
_SITE = {"363698007", "G-C0E3"}
_CATEGORY_BY_CODE = {code: cat for cat, (code, _) in RECIST_CATEGORIES.items()}


def _code(item, attr="ConceptNameCodeSequence"):
    seq = item.get(attr)
    return (str(seq[0].CodeValue), str(seq[0].CodeMeaning)) if seq else ("", "")


def _children(item):
    return list(item.get("ContentSequence", []))


def _polyline(scoord):
    pts = np.asarray(scoord.GraphicData, dtype=float).reshape(-1, 2)
    refs = [c for c in _children(scoord) if c.ValueType == "IMAGE"]
    sop = str(refs[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID) if refs else ""
    return pts, sop


def _group_to_fields(group, source) -> dict:
    out: dict = {"extra": {}}
    for item in _children(group):
        code, meaning = _code(item)
        vt = item.ValueType
        if vt == "TEXT" and code == "112039":
            out["track_id"] = str(item.TextValue)
        elif vt == "UIDREF" and code == "112040":
            out["tracking_uid"] = str(item.UID)
        elif vt == "CODE" and code in _SITE:
            cs = item.ConceptCodeSequence[0]
            out["location"] = site_word(str(cs.CodeValue), str(cs.CodeMeaning), str(cs.CodingSchemeDesignator))
        elif vt == "CODE" and code == RECIST_CATEGORY_NAME[0]:
            cat = _CATEGORY_BY_CODE.get(_code(item, "ConceptCodeSequence")[0])
            if cat:
                out["extra"]["recist_category"] = cat
        elif vt == "SCOORD" and str(item.GraphicType) == "POLYLINE":
            pts, sop = _polyline(item)  # TID 1410 image region: ours holds long then short axis ends
            if len(pts) == 4:
                out["long_px"], out["short_px"], out["sop"] = pts[:2], pts[2:], sop
            elif len(pts) == 2:  # a single length (OHIF's Length tool as a TID 1410 region)
                out["long_px"], out["sop"] = pts, sop
        elif vt == "IMAGE" and code == "121191":
            out["extra"]["segment_number"] = int(item.ReferencedSOPSequence[0].ReferencedSegmentNumber)
        elif vt == "NUM":
            mv = item.get("MeasuredValueSequence")
            if not mv:
                continue
            value = float(mv[0].NumericValue)
            unit = _code(mv[0], "MeasurementUnitsCodeSequence")[0]
            scoords = [c for c in _children(item) if c.ValueType == "SCOORD"]
            if code in _VOLUME:
                if unit not in ("ml", "mL", "cm3"):
                    raise InputError(source, f"volume in unit {unit!r}; expected ml")
                out["volume_ml"] = value
                continue
            if code in _LONG | _SHORT | _LENGTH:
                if unit != "mm":
                    raise InputError(source, f"{meaning} in unit {unit!r}; expected mm")
                key = "short" if code in _SHORT else "long"
                out[f"{key}_axis_mm"] = value
                if scoords:  # OHIF style: each length NUM carries its own 2-point polyline
                    pts, sop = _polyline(scoords[0])
                    out[f"{key}_px"], out["sop"] = pts[:2], sop
    return out


def read_sr(path: str | Path, reference: ReferenceSeries | None = None) -> list[Lesion]:
    """Lesions of a TID 1500 SR file; with ``reference``, axes in LPS mm and ``slice_index`` too."""
    import pydicom

    path = Path(path)
    ds = pydicom.dcmread(path)
    templates = [str(t.TemplateIdentifier) for t in ds.get("ContentTemplateSequence", [])]
    if "1500" not in templates:
        raise InputError(path, f"SR template {templates or 'none'} is not TID 1500 (Measurement Report); "
                               "only TID 1500 is read")
    groups = []
    for item in _children(ds):
        if _code(item)[0] == "126010":  # Imaging Measurements
            groups += [g for g in _children(item) if _code(g)[0] == "125007"]
    by_uid: dict[str, dict] = {}
    for g in groups:
        fields = _group_to_fields(g, path)
        uid = fields.get("tracking_uid") or f"group{len(by_uid) + 1}"
        merged = by_uid.setdefault(uid, {"extra": {}})
        extra = {**merged["extra"], **fields.pop("extra")}
        merged.update(fields)
        merged["extra"] = extra
    patient, study = str(ds.get("PatientID", "")), str(ds.get("StudyInstanceUID", ""))
    sop_to_k = ({str(d.SOPInstanceUID): k for k, d in enumerate(reference.datasets)} if reference else {})
    lesions, seen = [], {}
    for uid, f in by_uid.items():
        extra = {**f["extra"], "tracking_uid": uid, "track_id": f.get("track_id", uid)}
        # OHIF gives every measurement the same tracking identifier (the tool name): keep ids unique.
        name = f.get("track_id", uid)
        seen[name] = seen.get(name, 0) + 1
        kw = dict(lesion_id=name if seen[name] == 1 else f"{name}#{seen[name]}", patient=patient, study=study,
                  long_axis_mm=f.get("long_axis_mm"), short_axis_mm=f.get("short_axis_mm"),
                  volume_ml=f.get("volume_ml"), location=f.get("location", ""))
        if "long_px" in f:
            extra["referenced_sop_uid"] = f["sop"]
            extra["long_axis_px"] = f["long_px"].tolist()
            if "short_px" in f:
                extra["short_axis_px"] = f["short_px"].tolist()
            if reference is not None:
                if f["sop"] not in sop_to_k:
                    raise InputError(path, f"lesion {kw['lesion_id']} references image {f['sop']}, which is not "
                                           f"in the reference series {reference.folder}")
                k = sop_to_k[f["sop"]]
                kw["slice_index"] = k
                kw["long_axis_lps"] = tuple(reference.pixel_to_lps(c, r, k) for c, r in f["long_px"])
                if "short_px" in f:
                    kw["short_axis_lps"] = tuple(reference.pixel_to_lps(c, r, k) for c, r in f["short_px"])
        lesions.append(Lesion(**kw, extra=extra))
    return lesions


def read_seg(path: str | Path, reference: ReferenceSeries) -> tuple[np.ndarray, list[dict]]:
    """A SEG's segments as a label map [k, j, i] on ``reference``'s grid, and each segment's facts.

    Overlapping segments (BINARY only): the higher segment number wins (a label map holds one label per
    voxel). A LABELMAP SEG's values are taken as they are; its background segment 0 is not listed.
    Raises:
        InputError: not a SEG, a frame referencing an image missing from the reference series.
    """
    import pydicom

    path = Path(path)
    ds = pydicom.dcmread(path)
    if str(ds.get("Modality", "")) != "SEG":
        raise InputError(path, f"modality {ds.get('Modality', '?')} is not SEG")
    sop_to_k = {str(d.SOPInstanceUID): k for k, d in enumerate(reference.datasets)}
    frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    labels = np.zeros(reference.shape, dtype=np.uint16)
    if frames.shape[1:] != reference.shape[1:]:
        raise InputError(path, f"frames of {frames.shape[1:]} pixels; the reference series has {reference.shape[1:]}")
    # LABELMAP (Label Map Segmentation Storage): each frame's pixel values are segment numbers already and
    # frames carry no Segment Identification; BINARY/FRACTIONAL: one segment per frame, named per frame.
    labelmap = str(ds.get("SegmentationType", "")) == "LABELMAP"
    for n, fg in enumerate(ds.PerFrameFunctionalGroupsSequence):
        sop = str(fg.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID)
        if sop not in sop_to_k:
            raise InputError(path, f"frame {n + 1} references image {sop}, which is missing from the reference "
                                   f"series {reference.folder}")
        plane = labels[sop_to_k[sop]]
        if labelmap:
            plane[frames[n] > 0] = frames[n][frames[n] > 0]
            continue
        # A SEG of one segment may name it once, in the shared functional groups.
        ident = fg if "SegmentIdentificationSequence" in fg else ds.SharedFunctionalGroupsSequence[0]
        seg_no = int(ident.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        plane[frames[n] > 0] = np.maximum(plane[frames[n] > 0], seg_no)
    segments = [{"segment_number": int(s.SegmentNumber), "label": str(s.SegmentLabel),
                 "tracking_id": str(s.get("TrackingID", "")), "tracking_uid": str(s.get("TrackingUID", ""))}
                for s in ds.SegmentSequence if int(s.SegmentNumber) > 0]  # 0: a label map's background
    return labels, segments


def import_dicom(path: str | Path, reference: ReferenceSeries | None = None):
    """Dispatch on modality: ("sr", lesions) or ("seg", (labels, segments))."""
    import pydicom

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    try:
        modality = str(pydicom.dcmread(path, stop_before_pixels=True).get("Modality", ""))
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on garbage
        raise InputError(path, f"not a readable DICOM file ({type(exc).__name__})") from None
    if modality == "SR":
        return "sr", read_sr(path, reference)
    if modality == "SEG":
        if reference is None:
            raise InputError(path, "reading a SEG needs --reference (the series its frames lie on)")
        return "seg", read_seg(path, reference)
    raise InputError(path, f"modality {modality or 'none'} is neither SR nor SEG")
