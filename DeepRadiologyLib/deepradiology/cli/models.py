"""``deepradiology models``: list the catalogue and the installed models, import a checkpoint, show a card."""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models", help="list, import, show and download models (cards, licences, sha256-verified)",
        description="Manage the model cache ($DEEPRADIOLOGY_MODELS, default ~/.cache/deepradiology/models). "
                    "Every checkpoint is checked against its sha256 before it is loaded.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    ls = verbs.add_parser("list", help="catalogue models and installed models, with status and licence")
    ls.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    ls.set_defaults(func=run_list)

    imp = verbs.add_parser(
        "import", help="install a local model (DeepRadiology checkpoint, nnU-Net v2 / TotalSegmentator folder, "
                       "torchxrayvision weights, nnInteractive folder)",
        formatter_class=argparse.RawDescriptionHelpFormatter, description=IMPORT_FORMATS)
    imp.add_argument("file", metavar="PATH", help="the checkpoint file or model folder (format detected; see above)")
    imp.add_argument("--format", choices=("deepradiology", "nnunetv2", "torchxrayvision", "nninteractive"),
                     help="say the format instead of detecting it")
    imp.add_argument("--name", help="name in the cache (default: the name in its card)")
    imp.add_argument("--sha256", help="the published sha256, checked before anything is installed (a folder: the "
                                      "sha256 `models info` prints for it)")
    imp.add_argument("--licence", help="the licence of the weights, where the folder does not say (nnU-Net)")
    imp.add_argument("--weights", help="torchxrayvision: which published weights the file is "
                                       "(densenet121-res224-nih or densenet121-res224-all) when renamed")
    imp.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    imp.set_defaults(func=run_import)

    info = verbs.add_parser("info", help="print a model's card as JSON (installed, catalogue, or a file)")
    info.add_argument("name", help="installed model name, catalogue name, or a checkpoint file")
    info.add_argument("--sha256", metavar="HEX",
                      help="the published sha256: of a checkpoint file (needed to open a file that has no card "
                           "beside it; no file is opened by torch before its hash is checked), or of a model "
                           "folder, its manifest hash (sha256 over its files' sorted relative paths, sizes and "
                           "sha256s; the sha256 `models info FOLDER` and `models import` print), checked before "
                           "any checkpoint in it is opened")
    info.set_defaults(func=run_info)

    get = verbs.add_parser("download", help="download a catalogue model's official weights where published")
    get.add_argument("name", help="catalogue name (see `deepradiology models list`)")
    get.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    get.set_defaults(func=run_download)


IMPORT_FORMATS = """Install a local model into the cache, verified first (nothing is installed when a check fails).

Formats (detected from PATH, or given with --format):
  deepradiology    a DeepRadiology checkpoint FILE.pt (+ FILE.pt.card.json): sha256 and embedded hash checked.
  nnunetv2         an nnU-Net v2 result folder (dataset.json, plans.json, fold_*/checkpoint_final.pth), or the
                   DatasetNNN_* / TotalSegmentator task folder holding one Trainer__Plans__configuration folder.
                   Task pancreas-segmentation: its dataset.json must have a label named "pancreas" (else it is
                   refused as a model for another task); one CT channel. Every checkpoint is opened without
                   running code to refuse truncated ones. Runs with the nnunetv2 package (in the main venv,
                   requirements/peer-nodeps.txt): deepradiology pancreas segment CT --model NAME, and the
                   web app's pancreas panel. Licence: TotalSegmentator's is filled in; otherwise pass --licence.
  torchxrayvision  a torchxrayvision DenseNet-121 weights file as published (e.g.
                   nih-densenet121-d121-tw-lr001-rot45-tr15-sc15-seed0-best.pt); task cxr-classification,
                   its outputs mapped to DeepRadiology's 14 ChestX-ray14 findings; 224 px input. Runs without
                   torchxrayvision. Use --weights when the file was renamed.
  nninteractive    an nnInteractive folder (inference_session_class.json, plans.json, dataset.json,
                   fold_0/checkpoint_final.pth); task interactive-segmentation; CC BY-NC-SA 4.0 weights.
                   Runs with the nninteractive package: deepradiology recist measure ... --method model
                   --model NAME (a GPU is strongly advised).

Every file's size and sha256 go into the model card with the task, labels (and their mapping to ours),
input spacing/size and licence; they are checked again before each load. A folder's card sha256 is its manifest
hash: sha256 over its files' sorted relative paths, sizes and sha256s; --sha256 takes that for a folder, and a
file changed, removed or added later is refused by name. See `deepradiology models info NAME`.
"""


def _command_exists(command: str) -> bool:
    """True when ``deepradiology a b ...`` names subcommands this version really has."""
    from . import build_parser

    parser = build_parser()
    for word in command.split()[1:]:
        choices = next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
        if word not in choices:
            return False
        parser = choices[word]
    return True


def _how_to_get(slot) -> str:
    if slot.card.url:
        return f"deepradiology models download {slot.name}"
    if slot.train_command:
        return slot.train_command + ("" if _command_exists(slot.train_command) else " (not in this version yet)")
    return "import a checkpoint"


def _rows() -> list[dict]:
    from ..models import installed_models, load_catalogue

    installed = {m.name: m for m in installed_models()}
    rows = []
    for slot in load_catalogue():
        model = installed.pop(slot.name, None)
        card = model.card if model and model.card else slot.card
        status = "installed" if model and model.card else (f"broken: {model.problem}" if model else "not installed")
        rows.append({"name": slot.name, "task": slot.task, "version": card.version, "status": status,
                     "licence": card.licence, "how_to_get": _how_to_get(slot), "in_catalogue": True})
    for model in installed.values():
        card = model.card
        rows.append({"name": model.name, "task": card.task if card else "?", "version": card.version if card else "?",
                     "status": "installed" if card else f"broken: {model.problem}",
                     "licence": card.licence if card else "?", "how_to_get": "", "in_catalogue": False})
    return rows


def run_list(args: argparse.Namespace) -> int:
    from ..models import models_dir

    rows = _rows()
    if args.json:
        print(json.dumps({"cache": str(models_dir()), "models": rows}, indent=2))
        return 0
    print(f"model cache: {models_dir()}")
    widths = {k: max(len(k), *(len(r[k]) for r in rows)) for k in ("name", "task", "version", "status")}
    header = "  ".join(k.upper().ljust(widths[k]) for k in widths)
    print(header)
    for r in rows:
        print("  ".join(r[k].ljust(widths[k]) for k in widths))
        print(f"    licence: {r['licence']}")
        if r["how_to_get"] and r["status"] != "installed":
            print(f"    to get it: {r['how_to_get']}, or `deepradiology models import FILE`")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..models import install_model, model_path
    from ..models.external import detect_format, external_path, import_external

    fmt = args.format or detect_format(args.file)
    if fmt not in (None, "deepradiology") or (fmt is None and Path(args.file).is_dir()):
        card = import_external(args.file, fmt=fmt, name=args.name, force=args.force, sha256=args.sha256,
                               licence=args.licence, weights=args.weights)
        files = card.extra.get("files", {})
        print(f"installed {card.name!r} ({fmt}, task {card.task}) as {external_path(card.name)}: {len(files)} files, "
              f"sha256 {card.sha256}; licence: {card.licence}")
        return 0
    card = install_model(args.file, name=args.name, force=args.force, sha256=args.sha256)
    checked = "its card's sha256" if not args.sha256 else "the given sha256"
    print(f"installed {card.name!r} ({card.task}, version {card.version}) as {model_path(card.name)}; "
          f"sha256 {card.sha256} (checked against {checked} and the hash of its weights)")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import ModelError
    from ..models import card_path, catalogue_slot, installed_models, read_card
    from ..models.external import detect_format

    installed = {m.name: m for m in installed_models()}
    path = Path(args.name)
    if args.name in installed:
        card = _installed_info(installed[args.name].path, args.sha256)
    elif path.is_dir() and card_path(path).is_file():
        card = _installed_info(path, args.sha256)                # an installed folder given by its path
    elif path.is_dir() and (fmt := detect_format(path)) is not None:
        card = _external_info(path, fmt, args.sha256)
    elif path.is_file():
        card = _file_info(path, args.sha256)
    elif (slot := catalogue_slot(args.name)) is not None:
        card = slot.card
    else:
        raise ModelError(f"no model named {args.name!r} is installed or in the catalogue, and no such file exists; "
                         "see `deepradiology models list`")
    print(json.dumps(card.to_dict(), indent=2))
    return 0


def _installed_info(path, sha256: str | None):
    """The card of an installed model, its files checked against it first (a folder: every file and its
    manifest hash, `verify_tree`; a checkpoint: its size and sha256), and against ``--sha256`` where given."""
    from pathlib import Path

    from ..errors import ModelError
    from ..models import card_path, read_card
    from ..models.checkpoint import verify_file
    from ..models.external import verify_tree

    path = Path(path)
    card = read_card(card_path(path))
    if sha256 and sha256.strip().lower() != (card.sha256 or "").lower():
        raise ModelError(f"{path}: --sha256 {sha256.strip().lower()} is not the sha256 its card records "
                         f"({card.sha256 or 'none'})")
    if path.is_dir():
        verify_tree(path, card)
    else:
        verify_file(path, sha256=card.sha256, size_bytes=card.extra.get("size_bytes"))
    return card


def _external_info(path, fmt, sha256: str | None = None):
    """The card of a model in a published format. A folder's files are hashed first and, with ``--sha256``,
    its manifest hash is checked before any checkpoint is opened; the card printed carries that hash."""
    from ..models.external import FOLDER_FORMATS, hashed_card, manifest_sha256

    _root, hashed, card = hashed_card(path, fmt, sha256=sha256)   # a file format: one file, its own hash
    card.sha256 = manifest_sha256(hashed) if fmt in FOLDER_FORMATS else next(iter(hashed.values()))["sha256"]
    card.extra["files"] = hashed
    return card


def _file_info(path, sha256: str | None):
    """The card of a checkpoint file. No file is opened by torch before its sha256 is checked: against
    the card beside it, or against ``--sha256``; a file with neither is refused, not opened."""
    from ..errors import ModelError
    from ..models import card_path, read_card, read_checkpoint
    from ..models.checkpoint import verify_file
    from ..models.external import detect_format

    sidecar = card_path(path)
    if sidecar.is_file():
        card = read_card(sidecar)
        if sha256 and sha256.lower() != card.sha256.lower():
            raise ModelError(f"{path}: --sha256 {sha256.lower()} is not the sha256 its card records "
                             f"({card.sha256 or 'none'})")
        # the card describes the file only if the file is the one it was written for
        verify_file(path, sha256=sha256 or card.sha256, size_bytes=card.extra.get("size_bytes"))
        return card
    if not sha256:
        raise ModelError(f"{path}: no model card beside it ({sidecar.name}), so its sha256 cannot be checked and "
                         "the file is not opened; give its published checksum with --sha256 HEX, or import it "
                         "with `deepradiology models import`")
    verify_file(path, sha256=sha256)
    fmt = detect_format(path)          # a verified file may now be opened (weights only, no code runs)
    if fmt is not None:
        return _external_info(path, fmt)
    return read_checkpoint(path)[1]


def run_download(args: argparse.Namespace) -> int:
    from ..models import download_catalogue_model, model_path
    from ..progress import TqdmProgress

    with TqdmProgress(f"download {args.name}") as bar:
        card = download_catalogue_model(args.name, force=args.force, progress=bar)
    print(f"installed {card.name!r} ({card.task}) as {model_path(card.name)}; sha256 {card.sha256}")
    return 0
