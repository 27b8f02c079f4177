"""Export lesions as a DICOM SEG (masks) and a TID 1500 Measurement Report SR (RECIST axes, volume, tracking).

Per lesion the SR holds two measurement groups sharing one Tracking Identifier/UID: a TID 1410 planar
group (a 4-point SCOORD POLYLINE on the key slice: long-axis ends then short-axis ends, in pixel
coordinates of the referenced image; long and short axis NUMs in UCUM mm; finding site; the RECIST 1.1
time-point category when known) and a TID 1411 volumetric group referencing the lesion's SEG segment
(volume in UCUM ml). The tracking UID derives from patient + track id (`uids.tracking_uid`), so the same
lesion in two studies shares it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InputError, OutputExistsError
from ..lesion import Lesion
from .codes import RECIST_CATEGORIES, RECIST_CATEGORY_NAME, declare_local_scheme, site_code
from .reference import ReferenceSeries, read_reference
from .uids import stable_uid, tracking_uid

__all__ = ["export_lesions", "track_id_of", "tracking_uid_of", "SEG_TYPES"]

#: SEG kinds we write: "binary" (one bit plane per segment, overlaps allowed; Segmentation Storage) and
#: "labelmap" (one label per voxel, the segment number; Label Map Segmentation Storage, DICOM 2024b).
SEG_TYPES = ("binary", "labelmap")

#: Round-trip precision of stored numbers: DS values keep 6 decimals of mm / ml.
DECIMALS = 6


def track_id_of(lesion: Lesion) -> str:
    """The lesion's track (LongitudinalMatch / phantom ``track_id``), else its own id."""
    return str(lesion.extra.get("track_id") or lesion.lesion_id)


def tracking_uid_of(lesion: Lesion, patient: str) -> str:
    """The lesion's Tracking UID: the one it already has (``extra.tracking_uid``: read from an SR, or given
    by a front end), else the deterministic UID of (patient, track id)."""
    return str(lesion.extra.get("tracking_uid") or tracking_uid(patient, track_id_of(lesion)))


def _check_study(lesions: list[Lesion], ref: ReferenceSeries) -> None:
    ds = ref.datasets[0]
    names = {str(ds.get("StudyInstanceUID", "")), str(ds.get("StudyID", ""))}
    for lesion in lesions:
        if lesion.study and lesion.study not in names:
            raise InputError(ref.folder, f"the reference series is study {ds.get('StudyID', '')!s} "
                                         f"({ds.StudyInstanceUID}), but lesion {lesion.lesion_id} is from study "
                                         f"{lesion.study}")
        if lesion.patient and lesion.patient != str(ds.PatientID):
            raise InputError(ref.folder, f"the reference series is patient {ds.PatientID}, but lesion "
                                         f"{lesion.lesion_id} is patient {lesion.patient}")


def _seg(lesions, masks, labels, pancreas, ref, out_uid_key, seg_type="binary"):
    import highdicom as hd
    from highdicom.sr import CodedConcept

    lesion_cat = CodedConcept("49755003", "SCT", "Morphologically Altered Structure")
    lesion_type = CodedConcept("52988006", "SCT", "Lesion")
    descriptions, planes = [], []
    patient = str(ref.datasets[0].PatientID)
    for n, (lesion, label) in enumerate(zip(lesions, labels), start=1):
        site = site_code(lesion.location or lesion.extra.get("organ", ""))
        descriptions.append(hd.seg.SegmentDescription(
            segment_number=n, segment_label=lesion.lesion_id[:64], segmented_property_category=lesion_cat,
            segmented_property_type=lesion_type, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=hd.AlgorithmIdentificationSequence(
                name="DeepRadiology", version="1", family=CodedConcept("113019", "DCM", "Artificial Intelligence")),
            tracking_uid=tracking_uid_of(lesion, patient), tracking_id=track_id_of(lesion)[:64],
            anatomic_regions=[site] if site else None))
        planes.append(masks == label)
    if pancreas is not None:
        descriptions.append(hd.seg.SegmentDescription(
            segment_number=len(descriptions) + 1, segment_label="pancreas",
            segmented_property_category=CodedConcept("123037004", "SCT", "Anatomical Structure"),
            segmented_property_type=CodedConcept("15776009", "SCT", "Pancreas"),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
            algorithm_identification=hd.AlgorithmIdentificationSequence(
                name="DeepRadiology", version="1", family=CodedConcept("113019", "DCM", "Artificial Intelligence"))))
        planes.append(pancreas > 0)
    if seg_type == "labelmap":
        pixels = _label_map(planes, descriptions, ref)
        kind = hd.seg.SegmentationTypeValues.LABELMAP
    else:
        pixels = np.stack(planes, axis=-1).astype(np.uint8)  # (frames, rows, columns, segments)
        kind = hd.seg.SegmentationTypeValues.BINARY
    return hd.seg.Segmentation(
        source_images=ref.datasets, pixel_array=pixels, segmentation_type=kind,
        segment_descriptions=descriptions, series_instance_uid=stable_uid(out_uid_key, "seg-series"),
        series_number=100, sop_instance_uid=stable_uid(out_uid_key, "seg"), instance_number=1,
        manufacturer="DeepRadiology", manufacturer_model_name="DeepRadiology", software_versions="1",
        device_serial_number="0", omit_empty_frames=True)


def _label_map(planes, descriptions, ref) -> np.ndarray:
    """One label per voxel (the segment number, 0 = background), (frames, rows, columns) uint16.

    A label map cannot hold two segments in one voxel; rather than silently dropping one (e.g. a lesion
    inside the pancreas), overlapping segments are refused with the binary type as the way out.
    """
    count = np.sum(np.stack(planes, axis=0), axis=0, dtype=np.int32)
    if np.any(count > 1):
        names = [d.SegmentLabel for d, p in zip(descriptions, planes) if np.any(p & (count > 1))]
        raise InputError(ref.folder, f"segments {', '.join(names)} overlap in {int(np.sum(count > 1))} voxels; "
                                     "a LABELMAP SEG holds one segment per voxel: use --seg-type binary")
    pixels = np.zeros(planes[0].shape, dtype=np.uint16)
    for number, plane in enumerate(planes, start=1):
        pixels[plane] = number
    return pixels


def _axis_points(lesion: Lesion, ref: ReferenceSeries):
    pts, ks = [], set()
    for a in (lesion.long_axis_lps, lesion.short_axis_lps):
        for p in a:
            c, r, k = ref.lps_to_pixel(p)
            pts.append((c, r))
            ks.add(k)
    if len(ks) != 1:
        raise InputError(lesion.lesion_id, "the RECIST axes do not lie on one slice of the reference series")
    k = ks.pop()
    if not 0 <= k < len(ref.datasets):
        raise InputError(lesion.lesion_id, f"the RECIST axes lie on slice {k}, outside the reference series")
    return np.asarray(pts, dtype=np.float32), k


def _referenced_segment(seg, number, ref, segment_slices):
    """The TID 1411 reference to segment ``number``. highdicom 0.28's `from_segmentation` reads the
    per-frame Segment Identification, which a LABELMAP SEG has not, and which a SEG of one segment keeps
    in the shared functional groups; then we name the source images the segment lies on ourselves (its
    slices, ``segment_slices[number]``)."""
    import highdicom as hd

    per_frame = seg.PerFrameFunctionalGroupsSequence
    if str(seg.SegmentationType) != "LABELMAP" and "SegmentIdentificationSequence" in per_frame[0]:
        return hd.sr.ReferencedSegment.from_segmentation(seg, segment_number=number)
    return hd.sr.ReferencedSegment(
        sop_class_uid=seg.SOPClassUID, sop_instance_uid=seg.SOPInstanceUID, segment_number=number,
        source_images=[hd.sr.SourceImageForSegmentation.from_source_image(ref.datasets[k])
                       for k in segment_slices[number]])


def _sr(lesions, ref, seg, out_uid_key, segment_slices):
    import highdicom as hd
    from highdicom.sr import CodedConcept

    mm = CodedConcept("mm", "UCUM", "millimeter")
    ml = CodedConcept("ml", "UCUM", "milliliter")
    patient = str(ref.datasets[0].PatientID)
    groups = []
    for n, lesion in enumerate(lesions, start=1):
        tid = hd.sr.TrackingIdentifier(uid=tracking_uid_of(lesion, patient),
                                       identifier=track_id_of(lesion)[:64])
        site = site_code(lesion.location or lesion.extra.get("organ", ""))
        finding = CodedConcept("52988006", "SCT", "Lesion")
        evaluations = None
        cat = str(lesion.extra.get("recist_category", "")).upper()
        if cat in RECIST_CATEGORIES:
            evaluations = [hd.sr.QualitativeEvaluation(
                CodedConcept(*RECIST_CATEGORY_NAME),
                CodedConcept(RECIST_CATEGORIES[cat][0], "NCIt", RECIST_CATEGORIES[cat][1]))]
        if lesion.long_axis_lps is not None and lesion.short_axis_lps is not None:
            pts, k = _axis_points(lesion, ref)
            region = hd.sr.ImageRegion(
                graphic_type=hd.sr.GraphicTypeValues.POLYLINE, graphic_data=pts,
                source_image=hd.sr.SourceImageForRegion.from_source_image(ref.datasets[k]))
            measurements = [
                hd.sr.Measurement(CodedConcept("103339001", "SCT", "Long Axis"),
                                  round(float(lesion.long_axis_mm), DECIMALS), mm),
                hd.sr.Measurement(CodedConcept("103340004", "SCT", "Short Axis"),
                                  round(float(lesion.short_axis_mm), DECIMALS), mm)]
            groups.append(hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=tid, referenced_region=region, finding_type=finding,
                finding_sites=[hd.sr.FindingSite(site)] if site else None,
                measurements=measurements, qualitative_evaluations=evaluations))
        if lesion.volume_ml is not None:
            segment = _referenced_segment(seg, n, ref, segment_slices)
            groups.append(hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
                tracking_identifier=tid, referenced_segment=segment, finding_type=finding,
                finding_sites=[hd.sr.FindingSite(site)] if site else None,
                measurements=[hd.sr.Measurement(CodedConcept("118565006", "SCT", "Volume"),
                                                round(float(lesion.volume_ml), DECIMALS), ml)]))
    context = hd.sr.ObservationContext(
        observer_person_context=None,
        observer_device_context=hd.sr.ObserverContext(
            observer_type=CodedConcept("121007", "DCM", "Device"),
            observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                uid=stable_uid("deepradiology-device"), name="DeepRadiology")))
    report = hd.sr.MeasurementReport(
        observation_context=context,
        procedure_reported=CodedConcept("77477000", "SCT", "Computed Tomography"),
        imaging_measurements=groups, title=CodedConcept("126000", "DCM", "Imaging Measurement Report"))
    return hd.sr.Comprehensive3DSR(
        evidence=[*ref.datasets, seg], content=report, series_instance_uid=stable_uid(out_uid_key, "sr-series"),
        series_number=101, sop_instance_uid=stable_uid(out_uid_key, "sr"), instance_number=1,
        manufacturer="DeepRadiology", is_complete=True, is_final=False, is_verified=False)


def _measurement_digest(lesions) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps([lesion.to_dict() for lesion in lesions], sort_keys=True,
                                     default=str).encode()).hexdigest()


def _seg_digest(lesions, masks, labels, pancreas) -> str:
    """What a SEG holds: masks, labels, and per segment its name, track, UID and site."""
    import hashlib
    import json

    names = [[lesion.lesion_id, track_id_of(lesion), str(lesion.extra.get("tracking_uid", "")), lesion.location,
              str(lesion.extra.get("organ", ""))] for lesion in lesions]
    digest = hashlib.sha256(json.dumps(names).encode())
    digest.update(np.ascontiguousarray(masks).tobytes())
    digest.update(json.dumps([int(v) for v in labels]).encode())
    if pancreas is not None:
        digest.update(np.ascontiguousarray(pancreas, dtype=bool).tobytes())
    return digest.hexdigest()


def export_lesions(lesions: list[Lesion], masks: np.ndarray, reference: str | Path, out_dir: str | Path, *,
                   labels: list[int] | None = None, pancreas: np.ndarray | None = None,
                   force: bool = False, seg_type: str = "binary") -> dict[str, Path]:
    """Write ``seg.dcm`` and ``sr.dcm`` for ``lesions`` on the ``reference`` series into ``out_dir``.

    Args:
        masks: a label map [k, j, i] on the reference series' grid; lesion n's voxels have value
            ``labels[n]`` (default: ``lesion.extra['label']``, else n + 1).
        pancreas: optional [k, j, i] mask on the same grid, written as an extra "pancreas" segment.
        seg_type: "binary" (default) or "labelmap" (`SEG_TYPES`); a label map refuses overlapping segments.
    Raises:
        InputError: the reference series is another study/patient, masks on another grid, axes off the series.
        OutputExistsError: seg.dcm or sr.dcm exists and not ``force``.
    """
    if seg_type not in SEG_TYPES:
        raise InputError("--seg-type", f"{seg_type!r} is not a SEG type we write; use one of {', '.join(SEG_TYPES)}")
    out_dir = Path(out_dir)
    paths = {"seg": out_dir / "seg.dcm", "sr": out_dir / "sr.dcm"}
    for p in paths.values():
        if p.exists() and not force:
            raise OutputExistsError(p)
    if not lesions:
        raise InputError("lesions", "no lesions to export")
    ref = read_reference(reference)
    _check_study(lesions, ref)
    masks = np.asarray(masks)
    if masks.shape != ref.shape:
        raise InputError(reference, f"the masks' grid {masks.shape} (k, j, i) is not the reference series' "
                                    f"grid {ref.shape}")
    if labels is None:
        labels = [int(lesion.extra.get("label", n + 1)) for n, lesion in enumerate(lesions)]
    for lesion, label in zip(lesions, labels):
        if not np.any(masks == label):
            raise InputError(lesion.lesion_id, f"has no voxels of label {label} in the masks")
    # SOP Instance UIDs derive from everything written: re-exporting the same content gives the same UIDs
    # (a PACS keeps one copy), changed content new ones (a PACS ignores a second object under a UID it holds).
    # The SEG's key covers what the SEG holds; the SR's also the measurements (an edited axis: a new SR, the
    # same SEG).
    base = [str(ref.datasets[0].SeriesInstanceUID), *(lesion.lesion_id for lesion in lesions), seg_type]
    seg_key = "|".join([*base, _seg_digest(lesions, masks, labels, pancreas)])
    sr_key = "|".join([seg_key, _measurement_digest(lesions)])
    seg = _seg(lesions, masks, labels, pancreas, ref, seg_key, seg_type)
    slices = {n: sorted({int(k) for k in np.nonzero(masks == label)[0]})
              for n, label in enumerate(labels, start=1)}
    sr = _sr(lesions, ref, seg, sr_key, slices)
    for dataset in (seg, sr):  # our private codes, where used, are declared in the object itself
        declare_local_scheme(dataset)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Write to temporary names then rename, so a failure leaves no half-written pair.
    tmp = {k: p.with_suffix(".dcm.part") for k, p in paths.items()}
    seg.save_as(tmp["seg"])
    sr.save_as(tmp["sr"])
    for k in paths:
        tmp[k].replace(paths[k])
    return paths
