"""The lesion record every module reads and writes: who, where, how big, and what it looks like."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .errors import InputError
from .io.jsonfile import read_json

__all__ = ["Lesion", "LESION_TYPES", "save_lesions", "load_lesions"]

#: DeepLesion's coarse lesion types (``Coarse_lesion_type`` 1-8), used everywhere a type is named.
LESION_TYPES = {1: "bone", 2: "abdomen", 3: "mediastinum", 4: "liver", 5: "lung", 6: "kidney",
                7: "soft tissue", 8: "pelvis"}

Point = tuple[float, float, float]


@dataclass
class Lesion:
    """One measured lesion.

    Attributes:
        lesion_id: unique within its study ("L1", or DeepLesion's key-slice file name).
        patient, study, series: who and which acquisition the lesion was measured on.
        slice_index: k, the axial slice (0-based voxel index) the RECIST axes were drawn on.
        long_axis_lps: the RECIST long axis as two LPS mm endpoints.
        short_axis_lps: the RECIST short axis (perpendicular to the long one) as two LPS mm endpoints.
        box_ijk: bounding box on the key slice, voxel (i0, j0, i1, j1), inclusive.
        long_axis_mm, short_axis_mm: lengths of the two axes in mm.
        volume_ml: volume of the 3D mask in mL, when one was made.
        location: anatomical site in words ("liver", "lymph node", ...).
        normalized_location: (x, y, z) in [0, 1] body coordinates (DeepLesion's normalised location).
        lesion_type: coarse type, a value of `LESION_TYPES` ("" when unknown).
        is_lymph_node: nodes are measured on the short axis by RECIST 1.1.
        embedding: a feature vector from LesionRetrieval (empty when none), with the name of the
            embedder that made it in ``embedding_model`` so vectors from different models never mix.
        extra: anything else worth keeping (source file, confidence, ...), JSON-serialisable.
    """

    lesion_id: str
    patient: str = ""
    study: str = ""
    series: str = ""
    slice_index: int | None = None
    long_axis_lps: tuple[Point, Point] | None = None
    short_axis_lps: tuple[Point, Point] | None = None
    box_ijk: tuple[float, float, float, float] | None = None
    long_axis_mm: float | None = None
    short_axis_mm: float | None = None
    volume_ml: float | None = None
    location: str = ""
    normalized_location: Point | None = None
    lesion_type: str = ""
    is_lymph_node: bool = False
    embedding: list[float] = field(default_factory=list)
    embedding_model: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not str(self.lesion_id):
            raise InputError("lesion_id", "a lesion needs a non-empty id")
        from .validate import check_lesion_fields

        check_lesion_fields(self)  # NaN/inf or ill-typed numbers refused with the lesion named (issue 17)

    @property
    def centre_lps(self) -> Point | None:
        """Midpoint of the long axis in LPS mm (None without axes)."""
        if self.long_axis_lps is None:
            return None
        a, b = self.long_axis_lps
        return tuple((x + y) / 2.0 for x, y in zip(a, b))

    @property
    def measured_diameter_mm(self) -> float | None:
        """The diameter RECIST 1.1 sums: short axis for lymph nodes, long axis otherwise."""
        return self.short_axis_mm if self.is_lymph_node else self.long_axis_mm

    def to_dict(self) -> dict:
        """A JSON-ready dict (tuples become lists)."""
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "") -> Lesion:
        """Build a lesion from `to_dict` output; unknown keys go to ``extra`` rather than being lost."""
        if not isinstance(data, dict):
            raise InputError(source, f"a lesion record must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        unknown = {k: v for k, v in data.items() if k not in known}
        if "lesion_id" not in kwargs:
            raise InputError(source, "a lesion record has no 'lesion_id'")
        if unknown:
            kwargs["extra"] = {**kwargs.get("extra", {}), **unknown}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise InputError(source, f"malformed lesion record: {exc}") from None
        except InputError as exc:
            if not source:
                raise
            raise InputError(source, str(exc)) from None


def save_lesions(lesions: list[Lesion], path: str | Path, *, force: bool = False) -> Path:
    """Write lesions as a JSON list. Refuses to overwrite an existing file unless ``force``."""
    from .io.write import prepare_output

    path = prepare_output(path, force=force)
    path.write_text(json.dumps([lesion.to_dict() for lesion in lesions], indent=2), encoding="utf-8")
    return path


def load_lesions(path: str | Path) -> list[Lesion]:
    """Read lesions from a JSON list (or a single lesion object)."""
    path = Path(path)
    data = read_json(path)
    records = data if isinstance(data, list) else [data]
    return [Lesion.from_dict(r, source=str(path)) for r in records]
