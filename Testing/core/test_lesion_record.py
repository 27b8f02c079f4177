"""The Lesion record serialises to JSON and back without losing anything."""

import json

import pytest

from deepradiology import InputError, Lesion, OutputExistsError, load_lesions, save_lesions


def a_lesion():
    return Lesion("L1", patient="P1", study="S0", slice_index=12, long_axis_lps=((0, 0, 30), (20, 0, 30)),
                  short_axis_lps=((10, -5, 30), (10, 5, 30)), long_axis_mm=20.0, short_axis_mm=10.0,
                  volume_ml=2.1, location="liver", normalized_location=(0.4, 0.5, 0.6), lesion_type="liver",
                  embedding=[0.1, 0.2], embedding_model="descriptor-v1")


def test_a_lesion_survives_a_json_round_trip(tmp_path):
    path = save_lesions([a_lesion()], tmp_path / "lesions.json")
    (back,) = load_lesions(path)
    assert back == a_lesion()
    assert back.centre_lps == (10.0, 0.0, 30.0)


def test_lymph_nodes_are_measured_on_the_short_axis():
    node = Lesion("N1", long_axis_mm=22, short_axis_mm=16, is_lymph_node=True)
    assert node.measured_diameter_mm == 16 and a_lesion().measured_diameter_mm == 20


def test_unknown_keys_are_kept_in_extra_not_dropped():
    lesion = Lesion.from_dict({"lesion_id": "L2", "reader": "Dr A"})
    assert lesion.extra == {"reader": "Dr A"}


@pytest.mark.parametrize("bad", [{"lesion_id": ""}, {"lesion_id": "L", "long_axis_mm": -1},
                                 {"lesion_id": "L", "long_axis_lps": [[0, 0]]}, {"long_axis_mm": 3},
                                 {"lesion_id": "L", "lesion_type": "banana"}, {"lesion_id": "L", "lesion_type": "9"}])
def test_malformed_records_are_refused(bad):
    with pytest.raises(InputError):
        Lesion.from_dict(bad)


def test_saving_refuses_to_overwrite_the_users_file(tmp_path):
    path = tmp_path / "lesions.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(OutputExistsError):
        save_lesions([a_lesion()], path)
    assert json.loads(path.read_text(encoding="utf-8")) == []


def test_deeplesions_eight_types_and_no_type_are_accepted():
    assert Lesion.from_dict({"lesion_id": "L", "lesion_type": "soft tissue"}).lesion_type == "soft tissue"
    assert Lesion.from_dict({"lesion_id": "L"}).lesion_type == ""
