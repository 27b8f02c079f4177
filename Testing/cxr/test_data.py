"""ChestX-ray14's own files: labels, views, patient-level splits, radiologist boxes."""

from __future__ import annotations

from deepradiology.cxr.data import label_matrix, patient_split, read_bbox_list, read_data_entry


def test_the_data_entry_file_has_the_release_s_112120_films_and_14_findings(shared_data):
    records = read_data_entry(shared_data / "cxr" / "nih" / "Data_Entry_2017_v2020.csv.gz")
    assert len(records) == 112120
    first = {r.image: r for r in records[:5]}["00000001_000.png"]
    assert first.findings == ("Cardiomegaly",) and first.view == "PA" and first.patient_id == "1"
    labels = label_matrix(records)
    assert labels.shape == (112120, 14) and labels[:, 13].sum() > 100  # Hernia is the rarest


def test_a_patient_level_split_keeps_every_patient_in_one_part(shared_data):
    records = read_data_entry(shared_data / "cxr" / "nih" / "Data_Entry_2017_v2020.csv.gz")[:5000]
    train, val, test = patient_split(records, seed=3)
    assert len(train) + len(val) + len(test) == 5000
    patients = [{r.patient_id for r in part} for part in (train, val, test)]
    assert not (patients[0] & patients[1]) and not (patients[0] & patients[2]) and not (patients[1] & patients[2])


def test_the_box_list_has_the_984_radiologist_boxes(shared_data):
    boxes = read_bbox_list(shared_data / "cxr" / "nih" / "BBox_List_2017.csv.gz")
    assert len(boxes) == 984
    assert {b.finding for b in boxes} == {"Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass",
                                         "Nodule", "Pneumonia", "Pneumothorax"}
    assert all(0 <= b.box[0] < 1024 and b.box[2] > 0 for b in boxes)
