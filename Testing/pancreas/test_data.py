"""The datasets' own layouts: MSD Task07 (tumour counts as pancreas) and NIH Pancreas-CT (DICOM + NIfTI)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.errors import InputError
from deepradiology.pancreas.data import find_cases, split_folds, window_hu
from deepradiology.pancreas.testing import write_msd_folder


@pytest.fixture(scope="module")
def a_small_study(a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    box = (slice(14, 30), slice(None, None, 2), slice(None, None, 2))
    ct = study.ct.with_array(np.ascontiguousarray(study.ct.array[box]))
    organs = study.organs.with_array(np.ascontiguousarray(study.organs.array[box]))
    ct = ct.__class__(ct.array, spacing=(3.2, 3.2, 4.0), origin=ct.index_to_lps((0, 0, 14)),
                      direction=ct.direction, modality="CT")
    organs = ct.with_array(organs.array, modality="")
    return ct, organs


def test_msd_tumour_label_counts_as_pancreas(tmp_path, a_small_study):
    ct, organs = a_small_study
    label = np.zeros(organs.array.shape, np.uint8)
    label[organs.array == 5] = 1
    label[(organs.array == 5) & (np.arange(label.shape[2]) % 7 == 0)] = 2   # tumour voxels inside
    folder = write_msd_folder(tmp_path / "Task07_Pancreas", {"pancreas_001": (ct, ct.with_array(label))})
    cases = find_cases(folder)
    assert [c.case_id for c in cases] == ["pancreas_001"] and cases[0].layout == "msd-task07"
    loaded_ct, loaded_label = cases[0].load()
    assert set(np.unique(loaded_label.array)) == {0, 1}
    assert int(loaded_label.array.sum()) == int((organs.array == 5).sum())
    assert np.allclose(loaded_ct.origin, ct.origin)


def _write_dicom_series(ct, folder):
    import SimpleITK as sitk

    folder.mkdir(parents=True)
    image = ct.to_sitk()
    image = sitk.Cast(image, sitk.sitkInt16)
    series = "1.2.826.0.1.3680043.2.1125.1.99"
    direction = ct.direction
    cosines = "\\".join(f"{v:.6f}" for v in list(direction[:, 0]) + list(direction[:, 1]))
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    for k in range(image.GetDepth()):
        s = image[:, :, k]
        pos = image.TransformIndexToPhysicalPoint((0, 0, k))
        for tag, value in (("0008|0060", "CT"), ("0020|000e", series), ("0020|000d", series + ".0"),
                           ("0008|0018", f"{series}.{k + 1}"), ("0020|0013", str(k + 1)),
                           ("0020|0032", "\\".join(f"{v:.4f}" for v in pos)), ("0020|0037", cosines),
                           ("0018|0050", f"{ct.spacing[2]:.3f}"), ("0010|0020", "PANCREAS_0007")):
            s.SetMetaData(tag, value)
        writer.SetFileName(str(folder / f"1-{k + 1:03d}.dcm"))
        writer.Execute(s)


def test_nih_layout_pairs_each_dicom_series_with_its_label_on_the_same_grid(tmp_path, a_small_study):
    from deepradiology.io import write_image

    ct, organs = a_small_study
    root = tmp_path / "NIH"
    _write_dicom_series(ct, root / "Pancreas-CT" / "PANCREAS_0007" / "11-24-2015-PANCREAS0007" / "Pancreas-1")
    write_image(ct.with_array((organs.array == 5).astype(np.uint8)),
                root / "TCIA_pancreas_labels-02-05-2017" / "label0007.nii.gz")
    cases = find_cases(root)
    assert [c.case_id for c in cases] == ["PANCREAS_0007"] and cases[0].layout == "nih-pancreas-ct"
    loaded_ct, label = cases[0].load()
    assert loaded_ct.size == ct.size
    assert np.allclose(loaded_ct.origin, ct.origin, atol=1e-3)
    assert int(label.array.sum()) == int((organs.array == 5).sum())
    assert np.array_equal(loaded_ct.array, ct.array.astype(loaded_ct.array.dtype))


def test_a_folder_in_neither_layout_is_refused_naming_both(tmp_path):
    with pytest.raises(InputError, match="neither an MSD Task07 folder .* nor an NIH Pancreas-CT folder"):
        find_cases(tmp_path)


def test_a_broken_dataset_json_is_refused(tmp_path):
    (tmp_path / "dataset.json").write_text(json.dumps({"training": [{"image": "./imagesTr/x.nii.gz",
                                                                      "label": "./labelsTr/x.nii.gz"}]}), encoding="utf-8")
    with pytest.raises(InputError, match="listed in dataset.json but missing"):
        find_cases(tmp_path)


def test_four_fold_cross_validation_validates_every_case_exactly_once():
    cases = [f"case{n}" for n in range(10)]
    seen = []
    for fold in range(4):
        train, val = split_folds(cases, n_folds=4, fold=fold)
        assert not set(train) & set(val) and len(train) + len(val) == 10
        seen += val
    assert sorted(seen) == sorted(cases)
    with pytest.raises(InputError, match="must be 0-3"):
        split_folds(cases, n_folds=4, fold=4)


def test_the_soft_tissue_window_maps_level_40_to_zero_and_clips_the_rest():
    out = window_hu(np.array([-1000, -160, 40, 240, 2000]))
    assert np.allclose(out, [-1, -1, 0, 1, 1])
