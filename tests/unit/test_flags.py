"""The option table made into the command's flags, its --help and README's options table: they say the same."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from deck2pdf.flags import SWITCHES, readme_table, table, with_table
from deck2pdf.options import SPECS

from ..conftest import CliResult

README = Path(__file__).parents[2] / "README.md"


def help_text(run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, columns: int = 120) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))  # rich reads the width when it prints
    result = run_cli("--help")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def readme_rows() -> dict[str, tuple[str, str]]:
    """README's options table: the long flag -> (meaning, default), as a reader sees them (no Markdown escapes)."""
    text = README.read_text(encoding="utf-8")
    rows = {}
    for line in text.split("| option | meaning | default |\n| --- | --- | --- |\n", 1)[1].splitlines():
        if not line.startswith("| `"):
            break
        spelling, meaning, default = (c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:4])
        rows[re.findall(r"--[\w-]+", spelling)[0]] = (meaning, default)
    return rows


def help_rows(text: str) -> dict[str, tuple[str, str]]:
    """--help's flags, unwrapped: the long flag -> (help sentence, default)."""
    rows = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip("│ "))
        if cells[0].startswith("--"):
            sentence, _, default = cells[-1].partition(" [default: ")
            rows[cells[0]] = (sentence, default.removesuffix("]"))
    return rows


def test_readmes_options_table_is_made_from_the_option_table() -> None:
    """`make readme` writes it; run it after changing an option's declaration."""
    text = README.read_text(encoding="utf-8")
    assert readme_table() in text, "README's options table is stale: run `make readme`"
    assert with_table(text) == text


def test_readme_and_help_say_the_same_of_every_flag(
    run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = help_rows(help_text(run_cli, monkeypatch, columns=1000))  # wide: one line per flag
    typers = {"--help", "--install-completion", "--show-completion"}  # Typer's own: worded by Typer
    readme = {flag: row for flag, row in readme_rows().items() if flag not in typers}
    assert set(readme) == set(shown) - typers
    for flag, (meaning, default) in readme.items():
        sentence, help_default = shown[flag]
        assert meaning.startswith(sentence), flag
        assert default == help_default, flag


def test_help_reads_as_words(run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    text = help_text(run_cli, monkeypatch)
    assert re.search(r"Usage: \S+ \[OPTIONS\] DECK\.\.\.\s*$", text, re.MULTILINE), text  # the test's prog name
    assert "<bool>" not in text and "<list[" not in text and "{DECK" not in text
    assert not re.search(r"<\w+>", text.replace("<link>", "")), text  # no Python type at all


def test_every_flag_is_declared_once_with_a_help_sentence_and_a_panel() -> None:
    spellings = [f for spec in table() for declared in spec.flags for f in declared.split("/")]
    assert len(spellings) == len(set(spellings))
    assert {spec.name for spec in table()} == {n for n, s in SPECS.items() if s.flags} | {s.name for s in SWITCHES}
    for spec in table():
        assert spec.help.endswith(".") and spec.panel, spec.name
