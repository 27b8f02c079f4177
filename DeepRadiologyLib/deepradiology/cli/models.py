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

    imp = verbs.add_parser("import", help="install a local checkpoint file into the cache (air-gapped sites)")
    imp.add_argument("file", help="checkpoint (.pt); its <file>.card.json is used when present")
    imp.add_argument("--name", help="name in the cache (default: the name in its card)")
    imp.add_argument("--sha256", help="the published sha256 of the file, checked before it is opened")
    imp.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    imp.set_defaults(func=run_import)

    info = verbs.add_parser("info", help="print a model's card as JSON (installed, catalogue, or a file)")
    info.add_argument("name", help="installed model name, catalogue name, or a checkpoint file")
    info.set_defaults(func=run_info)

    get = verbs.add_parser("download", help="download a catalogue model's official weights where published")
    get.add_argument("name", help="catalogue name (see `deepradiology models list`)")
    get.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    get.set_defaults(func=run_download)


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
    from ..models import install_model, model_path

    card = install_model(args.file, name=args.name, force=args.force, sha256=args.sha256)
    checked = "its card's sha256" if not args.sha256 else "the given sha256"
    print(f"installed {card.name!r} ({card.task}, version {card.version}) as {model_path(card.name)}; "
          f"sha256 {card.sha256} (checked against {checked} and the hash of its weights)")
    return 0


def run_info(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import ModelError
    from ..models import card_path, catalogue_slot, installed_models, read_card, read_checkpoint

    installed = {m.name: m for m in installed_models()}
    if args.name in installed:
        card = read_card(card_path(installed[args.name].path))
    elif (slot := catalogue_slot(args.name)) is not None:
        card = slot.card
    elif Path(args.name).is_file():
        sidecar = card_path(args.name)
        # Without a sidecar, the card inside the file identifies it (a weights-only load, no code runs).
        card = read_card(sidecar) if sidecar.is_file() else read_checkpoint(args.name)[1]
    else:
        raise ModelError(f"no model named {args.name!r} is installed or in the catalogue, and no such file exists; "
                         "see `deepradiology models list`")
    print(json.dumps(card.to_dict(), indent=2))
    return 0


def run_download(args: argparse.Namespace) -> int:
    from ..models import download_catalogue_model, model_path
    from ..progress import TqdmProgress

    with TqdmProgress(f"download {args.name}") as bar:
        card = download_catalogue_model(args.name, force=args.force, progress=bar)
    print(f"installed {card.name!r} ({card.task}) as {model_path(card.name)}; sha256 {card.sha256}")
    return 0
