"""Records (list of dicts) and `deepradiology.Lesion` lists <-> ``vtkMRMLTableNode`` with typed columns.

Numbers stay numbers, so a radiologist can sort and plot the table in Slicer and the values survive a
``.mrb`` round trip (the table's schema file keeps each column's type and properties):

=========================  ===================  ======================================
Python values in a column  VTK column           read back as
=========================  ===================  ======================================
bool                       bit                  bool
int                        long long            int
int with None              double (NaN)         int, None (column kind "int")
float / int, maybe None    double (NaN)         float, None for NaN
str                        string               str
anything else or mixed     string (JSON text)   the same JSON value (column kind "json")
=========================  ===================  ======================================

Saved in a ``.mrb``, Slicer writes a decimal column with 6 significant digits (27.524250 mm becomes
27.5243 mm): ample for diameters in mm and volumes in mL; values that need every digit (coordinates,
embeddings) go in JSON columns, which keep full precision.

Coordinates in `Lesion` records stay in LPS mm (the core's frame); the table is a record store, not a
drawing, so nothing is converted to RAS here.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Sequence

from deepradiology.errors import InputError
from deepradiology.lesion import Lesion

__all__ = ["records_to_table", "table_to_records", "lesions_to_table", "table_to_lesions", "KIND_PROPERTY"]

#: Column property saying how to read a column back when its VTK type is not enough ("int", "json").
KIND_PROPERTY = "DeepRadiology.kind"


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _plain(value):
    """numpy scalars and arrays (anywhere inside lists and dicts) as plain Python values."""
    import numpy as np

    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _column(name: str, values: list):
    """A VTK array for one column and its kind ("" when the VTK type says it all)."""
    import vtk

    values = [_plain(v) for v in values]
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        array, kind, cells = vtk.vtkBitArray(), "", [int(v) for v in values]
    elif present and all(_is_int(v) for v in present) and len(present) == len(values) \
            and all(-2**63 <= v < 2**63 for v in present):
        array, kind, cells = vtk.vtkLongLongArray(), "", [int(v) for v in values]
    elif present and all(_is_int(v) for v in present):
        array, kind, cells = vtk.vtkDoubleArray(), "int", [math.nan if v is None else float(v) for v in values]
    elif present and all(_is_number(v) for v in present):
        array, kind, cells = vtk.vtkDoubleArray(), "", [math.nan if v is None else float(v) for v in values]
    elif present and all(isinstance(v, str) for v in present) and len(present) == len(values):
        array, kind, cells = vtk.vtkStringArray(), "", list(values)
    else:
        array, kind = vtk.vtkStringArray(), "json"
        try:
            cells = [json.dumps(v) for v in values]
        except TypeError as exc:
            raise InputError(f"column {name!r}", f"values must be numbers, text or JSON-serialisable ({exc})") from None
    array.SetName(name)
    for cell in cells:
        array.InsertNextValue(cell)
    return array, kind


def records_to_table(scene, records: Sequence[dict], name: str, *, node=None, columns: Sequence[str] | None = None):
    """Write records into a table node, one row per record and one typed column per key.

    Args:
        scene: the ``vtkMRMLScene``.
        records: the rows; a key missing from a record is an empty (None) cell.
        name: the table node's name.
        node: an existing ``vtkMRMLTableNode`` to overwrite; a new node is made when None.
        columns: the columns, in order (keys outside it are left out); every key in first-seen order
            when None.

    Returns:
        the ``vtkMRMLTableNode``.

    Raises:
        InputError: when a record is not a dict, a value cannot be stored, or ``node`` is not a table.
    """
    import vtk

    records = list(records)
    for n, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputError(name, f"row {n} is a {type(record).__name__}, not a dict")
    if columns is None:
        columns = list(dict.fromkeys(key for record in records for key in record))
    columns = [str(c) for c in columns]
    if len(set(columns)) != len(columns):
        raise InputError(name, f"column names must be unique, got {columns}")
    arrays = [_column(column, [record.get(column) for record in records]) for column in columns]

    if node is not None and not node.IsA("vtkMRMLTableNode"):
        raise InputError(node.GetName(), f"expected a table node, got a {node.GetClassName()}")
    if node is None:
        node = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    else:
        node.SetName(name)
    table = vtk.vtkTable()
    for array, _ in arrays:
        table.AddColumn(array)
    node.SetAndObserveTable(table)
    for array, kind in arrays:
        node.SetColumnProperty(array.GetName(), KIND_PROPERTY, kind)
    return node


def _cell(array, row: int, kind: str):
    import vtk

    value = array.GetValue(row)
    if kind == "json":
        return json.loads(value) if value != "" else None
    if array.IsA("vtkStringArray"):
        return str(value)
    if array.IsA("vtkBitArray"):
        return bool(value)
    if kind == "int":
        return None if math.isnan(value) else int(value)
    if array.GetDataType() in (vtk.VTK_FLOAT, vtk.VTK_DOUBLE):
        return None if math.isnan(value) else float(value)
    return int(value)


def table_to_records(node) -> list[dict]:
    """Read a table node back as a list of dicts (see the module docstring for the types).

    Works on any table node; columns made elsewhere are read by their VTK type (NaN -> None).

    Raises:
        InputError: when ``node`` is not a table node or a multi-component column is found.
    """
    if node is None or not node.IsA("vtkMRMLTableNode"):
        raise InputError(getattr(node, "GetName", lambda: "table")(), "expected a table node")
    table = node.GetTable()
    columns = []
    for c in range(table.GetNumberOfColumns()):
        array = table.GetColumn(c)
        if array.GetNumberOfComponents() != 1:
            raise InputError(node.GetName(), f"column {array.GetName()!r} has several values per cell")
        columns.append((array.GetName(), array, node.GetColumnProperty(array.GetName(), KIND_PROPERTY)))
    return [{name: _cell(array, row, kind) for name, array, kind in columns}
            for row in range(table.GetNumberOfRows())]


def lesions_to_table(scene, lesions: Iterable[Lesion], name: str = "Lesions", *, node=None):
    """Write `Lesion` records to a table node, one row per lesion, one column per `Lesion` field.

    Axis endpoints (LPS mm), boxes, embeddings and ``extra`` are JSON columns; diameters (mm), volume
    (mL) and slice index are numeric columns.
    """
    from dataclasses import fields

    records = [lesion.to_dict() for lesion in lesions]
    return records_to_table(scene, records, name, node=node, columns=[f.name for f in fields(Lesion)])


#: Table-node attribute holding the JSON list of `Lesion.to_dict()` records a display table stands for
#: (RECISTAssist's table shows "lesion, long mm, ..." columns and carries the records here).
LESION_RECORDS_ATTRIBUTE = "DeepRadiology.LesionRecords"


def lesion_records_json(lesions: Iterable[Lesion]) -> str:
    """The JSON text of ``lesions`` for `LESION_RECORDS_ATTRIBUTE` (axes LPS mm, lengths mm, volume mL)."""
    import json

    return json.dumps([lesion.to_dict() for lesion in lesions])


def table_to_lesions(node) -> list[Lesion]:
    """Read `Lesion` records back from a table made by `lesions_to_table` (columns it does not know go
    to each lesion's ``extra``), or from a display table carrying `LESION_RECORDS_ATTRIBUTE` (RECISTAssist's).

    Raises:
        InputError: when a row is not a valid lesion (no ``lesion_id``, negative diameters ...).
    """
    carried = node.GetAttribute(LESION_RECORDS_ATTRIBUTE)
    if carried:
        import json

        return [Lesion.from_dict(record, source=node.GetName()) for record in json.loads(carried)]
    return [Lesion.from_dict({k: v for k, v in record.items() if v is not None or k == "lesion_id"},
                             source=node.GetName())
            for record in table_to_records(node)]
