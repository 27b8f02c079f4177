"""Table 1 of the talk: the location-feature baseline reproduced from DL_info_test.csv alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from deepradiology.cli import main
from deepradiology.retrieval.evaluate import neighbours_excluding_self, purity_score, table1_metrics

#: The talk's Table 1, "Baseline: Location feature".
PAPER_LOCATION_BASELINE = {"are_type": 22.4, "are_location": 2.5, "are_size": 8.8, "purity": 51.6, "nmi": 32.6,
                           "accuracy": 59.7}


def test_the_location_baseline_of_table_1_is_reproduced_within_about_one_point(dl_info_test, tmp_path, capsys):
    out = tmp_path / "metrics.json"
    assert main(["retrieval", "eval-deeplesion", "--dl-info", str(dl_info_test), "--features", "location",
                 "-o", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    assert printed["n"] == 4927
    for key, paper in PAPER_LOCATION_BASELINE.items():
        assert printed[key] == pytest.approx(paper, abs=1.1), key


def test_neighbours_never_include_the_query_or_with_the_option_its_patient():
    x = np.array([[0.0], [0.0], [0.1], [0.2], [5.0], [5.1]])
    patients = np.array(["a", "a", "b", "b", "c", "c"])
    nb = neighbours_excluding_self(x, 2)
    assert all(q not in nb[q] for q in range(6))
    assert set(nb[0]) == {1, 2}
    nb = neighbours_excluding_self(x, 2, patients=patients)
    assert all(patients[j] != patients[q] for q in range(6) for j in nb[q])
    assert list(nb[0]) == [2, 3]


def test_type_features_give_no_type_error_and_perfect_clusters():
    rng = np.random.default_rng(0)
    types = np.repeat(np.arange(1, 9), 12)
    features = np.eye(8)[types - 1]
    m = table1_metrics(features, types=types, locations=rng.uniform(0.1, 1, (96, 3)), long_mm=rng.uniform(5, 50, 96))
    assert m["are_type"] == 0.0 and m["purity"] == 100.0 and m["nmi"] == pytest.approx(100.0)
    assert m["accuracy"] == 100.0


def test_purity_counts_each_clusters_majority_type():
    assert purity_score(np.array([1, 1, 2, 2, 2, 3]), np.array([0, 0, 0, 1, 1, 1])) == pytest.approx(4 / 6)


def test_the_evaluation_refuses_an_unknown_feature_kind(dl_info_test, capsys):
    assert main(["retrieval", "eval-deeplesion", "--dl-info", str(dl_info_test), "--features", "colour"]) == 2
    assert "unknown feature kind" in capsys.readouterr().err
