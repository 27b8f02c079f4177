"""The synthetic phantom patient as a Slicer Sample Data entry (generated locally, nothing downloaded).

`load_phantom_patient` renders phantom seed 0's three CT studies and files them the way Slicer's DICOM
import would: subject -> study items in the subject hierarchy, the study date on the *study* item as
``DICOM.StudyDate`` (DICOM's ``YYYYMMDD``), so LongitudinalMatch orders the studies by date. Each study
also gets its organ label map (the phantom's own labels, named in a colour table), which RECISTAssist
can use as the organ map that names a lesion's location.

`register_phantom_sample` adds the entry to the Sample Data module. It takes the module's
``SampleDataLogic`` class as an argument (Slicer passes ``SampleData.SampleDataLogic``) so that this
file imports nothing from Slicer's GUI and can be tested on the MRML wheel.
"""

from __future__ import annotations

__all__ = ["SAMPLE_CATEGORY", "SAMPLE_NAME", "load_phantom_patient", "register_phantom_sample"]

SAMPLE_CATEGORY = "DeepRadiology"
SAMPLE_NAME = "DeepRadiology phantom patient (3 CT studies)"


#: Distinct colours (RGB 0-1) for the organ labels, cycled.
_PALETTE = ((0.86, 0.42, 0.33), (0.25, 0.41, 0.88), (0.98, 0.82, 0.2), (0.95, 0.6, 0.2), (0.75, 0.45, 0.8),
            (0.95, 0.95, 0.85), (0.3, 0.65, 0.45), (0.8, 0.52, 0.25), (0.3, 0.8, 0.8))


def _organ_color_table(scene, names: dict[int, str]):
    """A colour table naming the phantom's organ labels (label value -> organ name)."""
    table = scene.AddNewNodeByClass("vtkMRMLColorTableNode", "DeepRadiology phantom organs")
    table.SetTypeToUser()
    table.SetNumberOfColors(max(names) + 1)
    table.SetColor(0, "background", 0.0, 0.0, 0.0, 0.0)
    for label, name in names.items():
        r, g, b = _PALETTE[(label - 1) % len(_PALETTE)]
        table.SetColor(label, name, r, g, b, 1.0)
    return table


def load_phantom_patient(scene, *, seed: int = 0, spacing=(0.8, 0.8, 2.5)) -> list:
    """Render the phantom patient into ``scene``; returns its CT volume nodes, baseline first.

    Args:
        scene: the ``vtkMRMLScene`` (``slicer.mrmlScene`` in Slicer).
        seed: the phantom patient's seed (0 is the demo's and the web app's default patient).
        spacing: voxel size (i, j, k) in mm.
    """
    from deepradiology.phantom import ORGAN_LABELS, generate_phantom
    from deepradiology_mrml.subject_hierarchy import file_under_study
    from deepradiology_mrml.volumes import image_to_labelmap_node, image_to_volume_node

    phantom = generate_phantom(seed, n_studies=3, spacing=spacing)
    patient = phantom.plan.patient_id
    colors = _organ_color_table(scene, {label: name for name, label in ORGAN_LABELS.items()})
    sh = scene.GetSubjectHierarchyNode()
    cts = []
    for study in phantom.studies:
        sid, date = study.plan.study_id, study.plan.date
        ct = image_to_volume_node(scene, study.ct, f"{patient} {sid} CT ({date})")
        organs = image_to_labelmap_node(scene, study.organs, f"{patient} {sid} organs")
        organs.GetDisplayNode().SetAndObserveColorNodeID(colors.GetID())
        study_item = file_under_study(scene, patient, f"{sid} ({date})", [ct, organs])
        if sh is not None and study_item:
            sh.SetItemAttribute(study_item, "DICOM.StudyDate", date.replace("-", ""))
        cts.append(ct)
    return cts


def register_phantom_sample(sample_data_logic, load, *, thumbnail: str | None = None) -> None:
    """Add the phantom patient to the Sample Data module.

    Args:
        sample_data_logic: Slicer's ``SampleData.SampleDataLogic`` (its static
            ``registerCustomSampleDataSource``, same signature in Slicer 5.8.1 to 5.12).
        load: called with no argument when the user clicks the entry (renders into the scene).
        thumbnail: path of a PNG shown on the entry's button.
    """
    # A custom downloader replaces the download: the entry has no URI, file or checksum (empty lists,
    # which SampleDataSource accepts; None would fail its length check).
    sample_data_logic.registerCustomSampleDataSource(
        category=SAMPLE_CATEGORY, sampleName=SAMPLE_NAME, uris=[], fileNames=[], nodeNames=[], checksums=[],
        thumbnailFileName=thumbnail, customDownloader=lambda source: load())
