"""A study's organ map: the organ labels on its CT's voxel grid that name a measured lesion's location
and refuse a click on a normal organ (`deepradiology.recist.organs`).

Where one comes from: the phantom's own organ labels, the TotalSegmentator masks shipped beside the
real CT, or a label map (or a set of organ masks) the radiologist opens beside a CT. A map on another
grid is resampled onto the CT's (nearest neighbour in LPS mm, `deepradiology.io.label_grid`), and one
that does not lie on the CT is refused, before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OrganMap", "load_organ_map_of", "organ_map_from_files"]

_MASK_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".mha", ".mhd")
_NAMES_SUFFIXES = (".txt", ".ctbl", ".json")     # organ names chosen with a label-map file


@dataclass
class OrganMap:
    """Organ labels on a study's CT grid.

    Attributes:
        labels: integer label `Image` [k, j, i] on the CT's grid (LPS geometry).
        names: {label value: organ name}.
        source: where the map came from, in words ("the phantom's organ labels").
    """

    labels: object
    names: dict[int, str] = field(default_factory=dict)
    source: str = ""
    names_given: bool = False     # ``names`` came with the study (the phantom's labels), not from the map

    def describe(self) -> str:
        """One line for the panel: where the map is from and the organs it holds."""
        import numpy as np

        present = {int(v) for v in np.unique(np.asarray(self.labels.array)) if v > 0}
        organs = sorted({name for value, name in self.names.items() if value in present})
        shown = ", ".join(organs[:8]) + (f" and {len(organs) - 8} more" if len(organs) > 8 else "")
        resampled = self.resampled_note()
        unknown = (getattr(self.labels, "meta", None) or {}).get("organ_names_warning") if not self.names_given else ""
        return (f"{self.source}: {len(organs)} organ(s) ({shown})" + (f"; {resampled}" if resampled else "")
                + ("; organ names unknown (add its colour table or JSON)" if unknown else ""))

    def resampled_note(self) -> str:
        """"resampled onto this CT's grid from 1.50 x 1.50 x 1.50 mm ..." when the map came on another
        grid (`deepradiology.io.label_grid`), else ""."""
        meta = getattr(self.labels, "meta", None) or {}
        if not meta.get("resampled_spacing_mm"):
            return ""
        spacing = " x ".join(f"{v:.2f}" for v in meta["resampled_spacing_mm"])
        note = f"resampled onto this CT's grid from {spacing} mm (nearest neighbour)"
        if meta.get("coverage", 1.0) < 0.995:
            note += f", covering {100 * meta['coverage']:.0f} % of the CT"
        return note


def load_organ_map_of(path: str, names: dict | None, ct, *, source: str) -> OrganMap:
    """The organ map at ``path`` (a label-map file, or a folder of binary organ masks named by organ)
    for the CT `Image` ``ct``; ``names`` ({label: organ}) names a label-map file's values.

    Raises:
        InputError: missing, not a label map, or not on the CT (no overlap, too little of it, off the
            patient; the sentence says which).
    """
    from deepradiology.recist import load_organ_map

    labels, found = load_organ_map(path, ct)
    if names:
        found = {int(value): str(name) for value, name in names.items()}
    return OrganMap(labels, found, source, names_given=bool(names))


def organ_map_from_files(files: list[tuple[str, bytes]], ct, *, max_mb: float) -> OrganMap:
    """An organ map the radiologist opened in the browser: one label-map file, or several binary masks,
    one organ a file named by it (as TotalSegmentator writes them). A colour table (.txt, .ctbl: Slicer's
    ``value name r g b a``) or JSON ``{value: name}`` chosen with a label-map file names its values
    (`deepradiology.io.organ_names`); without one they read "label N", with a warning.

    The bytes are written to a private temporary folder under their own (cleaned) names only while the
    core reader reads them, then deleted.

    Raises:
        InputError: no file, a file too large or unreadable, or not on the CT's grid; the message names
            the user's file, not the temporary copy.
    """
    import re
    import shutil
    import tempfile
    from pathlib import Path

    from deepradiology.errors import InputError

    if not files:
        raise InputError("organ map", "no file was given")
    tables = [(n, c) for n, c in files if n.lower().endswith(_NAMES_SUFFIXES)]
    files = [(n, c) for n, c in files if not n.lower().endswith(_NAMES_SUFFIXES)]
    if len(tables) > 1:
        raise InputError(", ".join(n for n, _ in tables), "choose one colour table or JSON of organ names, not several")
    if tables and len(files) != 1:
        raise InputError(tables[0][0], "organ names (a colour table or JSON) go with one label-map file; "
                                       f"{len(files)} image files were chosen with it")
    folder = Path(tempfile.mkdtemp(prefix="deepradiology-organs-"))
    try:
        written: list[str] = []
        originals: dict[str, str] = {}
        for name, content in files:
            if isinstance(content, str) or not content:
                raise InputError(name, "the browser sent no file content")
            if len(content) > max_mb * 2**20:
                raise InputError(name, f"larger than {max_mb:g} MB")
            clean = re.sub(r"[^\w.\-]", "_", Path(name).name)[:80] or "organ.nii.gz"
            if len(files) > 1 and not clean.lower().endswith(_MASK_SUFFIXES):
                # the folder reader passes over other files; a mask the user chose must not vanish unread
                raise InputError(name, "is not an organ mask file (.nii.gz, .nii, .nrrd, .mha, .mhd)")
            if clean in written or clean.split(".")[0] in {w.split(".")[0] for w in written}:
                raise InputError(name, "two of the chosen files name the same organ; choose one mask per organ")
            (folder / clean).write_bytes(content)
            written.append(clean)
            originals[clean] = name
        target = folder / written[0] if len(written) == 1 else folder
        what = f"uploaded label map {written[0]}" if len(written) == 1 else f"{len(written)} uploaded organ masks"
        names_path = None
        if tables:
            name, content = tables[0]
            if isinstance(content, str) or not content:
                raise InputError(name, "the browser sent no file content")
            if len(content) > max_mb * 2**20:
                raise InputError(name, f"larger than {max_mb:g} MB")
            clean = "names-" + (re.sub(r"[^\w.\-]", "_", Path(name).name)[:80])
            names_path = folder / clean
            names_path.write_bytes(content)
            originals[clean] = name
            what += f" named by {clean[len('names-'):]}"
        try:
            if names_path is not None:
                from deepradiology.recist import load_organ_map

                labels, found = load_organ_map(str(target), ct, str(names_path))
                return OrganMap(labels, found, what)
            return load_organ_map_of(str(target), None, ct, source=what)
        except InputError as exc:
            # name the user's file at fault (a mask in the set), or the whole upload, never the temporary copy
            at_fault = originals.get(Path(exc.source).name) if exc.source else None
            if at_fault is None and exc.source and " line " in exc.source:   # "TABLE line N" of the names file
                table, _, line = Path(exc.source).name.partition(" line ")
                at_fault = f"{originals[table]} line {line}" if table in originals else None
            raise InputError(at_fault or ", ".join(n for n, _ in files), exc.problem) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
