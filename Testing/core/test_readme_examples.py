"""Every `deepradiology ...` command the README and docs/ show is one the real parser accepts.

A reader copies these lines. In the README's code blocks each line must parse as written (options in
`[...]` are optional and parsed too); in running text (a command named inside backticks, sometimes with
placeholders such as `--seed N` or without its required arguments) every subcommand and every `--flag`
must exist on the command it is given to. The parser is `deepradiology.cli.build_parser`, the one the
`deepradiology` command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from deepradiology.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
COMMAND = re.compile(r"\bdeepradiology [a-z]")


def block_commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) of each line of a fenced block that runs `deepradiology`, comments cut."""
    found = []
    for block in FENCE.finditer(text):
        first = text[:block.start()].count("\n") + 2
        for n, line in enumerate(block.group(1).splitlines()):
            m = COMMAND.search(line)
            if m and not line.lstrip().startswith("#"):
                found.append((first + n, re.split(r"\s#", line[m.start():])[0].strip()))
    return found


def prose_commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) of each backticked span outside fenced blocks that names `deepradiology X`."""
    prose = FENCE.sub(lambda b: "\n" * b.group(0).count("\n"), text)
    found = []
    for span in re.finditer(r"`([^`]+)`", prose):
        words = " ".join(span.group(1).split())
        m = COMMAND.search(words)
        if m:
            found.append((prose[:span.start()].count("\n") + 1, words[m.start():]))
    return found


def tokens(command: str) -> list[str]:
    """The arguments after `deepradiology`, an optional `[--flag VALUE]` unwrapped."""
    return shlex.split(re.sub(r"\[(--[^\]]+)\]", r"\1", command))[1:]


def unknown_words(argv: list[str]) -> list[str]:
    """Flags and subcommands in ``argv`` the parser does not have (empty when all exist)."""
    parser, flags, wrong = build_parser(), set(), []
    for word in argv:
        flags |= {o for a in parser._actions for o in a.option_strings}
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if word.startswith("-"):
            if word.split("=", 1)[0] not in flags and not re.fullmatch(r"-[\d.,]+", word):
                wrong.append(word)
        elif subs and word in subs[0].choices:
            parser = subs[0].choices[word]
        elif subs and not any(t.startswith("-") for t in argv[:argv.index(word)][-1:]):
            wrong.append(word)  # a word where a subcommand is due, and not an option's value
            break
    return wrong


def parse_error(argv: list[str]) -> str | None:
    """The parser's complaint about ``argv`` (None when it parses; --help counts as parsing)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as stop:
        return None if stop.code == 0 else (err.getvalue().strip().splitlines() or ["exit"])[-1]
    return None


README = (ROOT / "README.md").read_text(encoding="utf-8")
BENCHMARKS = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
BLOCKS = block_commands(README)
PROSE = [("README.md", n, c) for n, c in prose_commands(README)] + \
        [("docs/benchmarks.md", n, c) for n, c in prose_commands(BENCHMARKS)] + \
        [(f"docs/adr/{p.name}", n, c) for p in sorted((ROOT / "docs" / "adr").glob("*.md"))
         for n, c in prose_commands(p.read_text(encoding="utf-8"))]


def test_the_readme_shows_the_commands_of_every_tool():
    shown = {tokens(c)[0] for _, c in BLOCKS}
    assert {"phantom", "demo", "models", "recist", "longitudinal", "retrieval", "pancreas", "reports", "cxr",
            "dicom", "pacs", "serve"} <= shown


@pytest.mark.parametrize("line,command", BLOCKS, ids=[f"README.md:{n}" for n, _ in BLOCKS])
def test_each_readme_code_line_parses_as_written(line, command):
    argv = tokens(command)
    assert not unknown_words(argv), f"README.md:{line}: {command}: no such {unknown_words(argv)}"
    assert parse_error(argv) is None, f"README.md:{line}: {command}: {parse_error(argv)}"


@pytest.mark.parametrize("where,line,command", PROSE, ids=[f"{w}:{n}" for w, n, _ in PROSE])
def test_each_command_named_in_the_text_has_those_subcommands_and_flags(where, line, command):
    assert not unknown_words(tokens(command)), f"{where}:{line}: {command}: no such {unknown_words(tokens(command))}"


def test_the_check_catches_a_flag_or_subcommand_that_does_not_exist():
    text = "```bash\ndeepradiology recist measure ct.nii.gz --point=1,2,3 -o l.json --no-such-flag\n```\n"
    (_, command), = block_commands(text)
    assert unknown_words(tokens(command)) == ["--no-such-flag"]
    assert "unrecognized arguments: --no-such-flag" in parse_error(tokens(command))
    assert unknown_words(tokens("deepradiology recist measur ct.nii.gz")) == ["measur"]
    assert unknown_words(tokens("deepradiology pacs --url http://x get --study S -o d")) == []
    assert unknown_words(tokens("deepradiology recist eval-phantom --seed N --studies 4")) == []
