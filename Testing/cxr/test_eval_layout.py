"""`cxr eval` on a folder in ChestX-ray14's own layout: AUC per finding and IoBB accuracy with boxes."""

from __future__ import annotations

import json

import numpy as np


def write_chestxray14_folder(folder, films):
    from PIL import Image

    (folder / "images").mkdir(parents=True)
    rows = ["Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
            "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]"]
    boxes = ["Image Index,Finding Label,Bbox [x,y,w,h],,,"]
    names = ("Cardiomegaly", "Effusion", "Mass", "Pneumothorax")
    for n, film in enumerate(films):
        image = f"{n:08d}_000.png"
        Image.fromarray((film.array * 255).astype(np.uint8)).resize((1024, 1024)).save(folder / "images" / image)
        labels = "|".join(f for f, v in zip(names, film.labels) if v) or "No Finding"
        rows.append(f"{image},{labels},0,{n},50,M,PA,2500,2048,0.168,0.168")
        scale = 1024 / film.array.shape[0]
        for finding, (x, y, w, h) in film.boxes.items():
            boxes.append(f"{image},{finding},{x * scale},{y * scale},{w * scale},{h * scale}")
    (folder / "Data_Entry_2017.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "BBox_List_2017.csv").write_text("\n".join(boxes) + "\n", encoding="utf-8")


def test_eval_reads_the_chestxray14_layout_and_scores_boxes(an_untrained_cxr_model, tmp_path, capsys):
    from deepradiology.cli import main
    from deepradiology.cxr.synthetic import synthetic_films

    films = synthetic_films(12, seed=4, size=64, prevalence=0.5)
    folder = tmp_path / "chestxray14"
    write_chestxray14_folder(folder, films)
    assert main(["cxr", "eval", "--model", str(an_untrained_cxr_model), "--data", str(folder), "--split", "all",
                 "--bbox", str(folder / "BBox_List_2017.csv")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["films"] == 12
    assert set(result["auc"]["per_finding"]) == {"Cardiomegaly", "Effusion", "Mass", "Pneumothorax"}
    assert result["localisation"]["boxes"] == sum(len(f.boxes) for f in films)
    assert set(result["localisation"]["overall"]) == {f"iobb>={t}" for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)}
