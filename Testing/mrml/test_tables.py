"""Records and Lesion lists <-> table nodes with typed columns."""

from __future__ import annotations

import math

import pytest

from deepradiology.errors import InputError
from deepradiology.lesion import Lesion
from deepradiology_mrml.tables import lesions_to_table, records_to_table, table_to_lesions, table_to_records

RECORDS = [
    {"lesion": "L1", "long_axis_mm": 23.5, "slice": 12, "lymph_node": False, "axis": [[1, 2, 3], [4, 5, 6]],
     "response": "PR"},
    {"lesion": "L2", "long_axis_mm": None, "slice": None, "lymph_node": True, "axis": None, "response": "SD"},
]


def test_records_round_trip_with_numbers_staying_numbers(a_scene):
    node = records_to_table(a_scene, RECORDS, "Measurements")
    back = table_to_records(node)
    assert back == RECORDS
    assert isinstance(back[0]["slice"], int) and isinstance(back[0]["long_axis_mm"], float)


def test_numeric_columns_are_numeric_in_slicer(a_scene):
    node = records_to_table(a_scene, [{"mm": 1.5, "n": 3, "yes": True, "name": "L1"}], "T")
    table = node.GetTable()
    kinds = {table.GetColumn(c).GetName(): table.GetColumn(c).GetClassName() for c in range(table.GetNumberOfColumns())}
    assert kinds["mm"] in ("vtkDoubleArray", "vtkTypeFloat64Array")
    assert kinds["n"] in ("vtkLongLongArray", "vtkTypeInt64Array")
    assert kinds["yes"] == "vtkBitArray"
    assert kinds["name"] == "vtkStringArray"


def test_the_columns_argument_orders_and_selects_columns(a_scene):
    node = records_to_table(a_scene, RECORDS, "T", columns=["response", "lesion"])
    assert table_to_records(node) == [{"response": "PR", "lesion": "L1"}, {"response": "SD", "lesion": "L2"}]


def test_a_row_that_is_not_a_dict_is_refused(a_scene):
    with pytest.raises(InputError, match="row 1"):
        records_to_table(a_scene, [{"a": 1}, ["a", 1]], "T")


def test_phantom_lesions_round_trip_through_a_table(a_scene, a_coarse_phantom_patient):
    study = a_coarse_phantom_patient.studies[0]
    lesions = [Lesion(lesion_id=truth["lesion_id"], patient="PHANTOM", study="S0", slice_index=truth["key_slice"],
                      long_axis_lps=truth["long_axis_lps"], short_axis_lps=truth["short_axis_lps"],
                      long_axis_mm=truth["long_axis_mm"], short_axis_mm=truth["short_axis_mm"],
                      volume_ml=truth["volume_ml"], location=truth["organ"], lesion_type=truth["lesion_type"],
                      is_lymph_node=truth["is_lymph_node"], embedding=[0.25, -1.5], embedding_model="test",
                      extra={"track_id": truth["track_id"]})
               for truth in study.lesions]
    node = lesions_to_table(a_scene, lesions)
    back = table_to_lesions(node)
    assert [lesion.to_dict() for lesion in back] == [lesion.to_dict() for lesion in lesions]
    assert not math.isnan(back[0].long_axis_mm)


def test_numpy_values_are_stored_as_plain_numbers_and_lists(a_scene):
    import numpy as np

    records = [{"mm": np.float64(12.5), "slice": np.int64(7), "yes": np.bool_(True),
                "axis": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])}]
    back = table_to_records(records_to_table(a_scene, records, "T"))
    assert back == [{"mm": 12.5, "slice": 7, "yes": True, "axis": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}]
    assert type(back[0]["slice"]) is int and type(back[0]["yes"]) is bool
