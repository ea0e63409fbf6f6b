"""Turn the option table (`options.SPECS`, and the command's own `SWITCHES`) into the command's parameters, with
--help in panels and words, and into README's options table: `python -m deck2pdf.flags README.md` (`make readme`)
writes it there, and a test fails when it is stale."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand

from .options import SPECS, OptionSpec, Panel


def _switch(name: str, kind: str, help: str, panel: Panel, **spec: Any) -> OptionSpec:
    flags = spec.pop("flags", None) or (f"--{name.replace('_', '-')}",)
    flag = next(f for f in flags if f.startswith("--"))
    default = False if kind == "yes/no" else None
    return OptionSpec(name, kind, help, panel, flags, sources=frozenset({"flags"}), flag=flag, default=default, **spec)


# The command's own switches: what it does with the decks, and how it talks. They steer no conversion (so they are
# not Options, settings or variables), but are declared as options are, for --help and README.
# fmt: off
SWITCHES: tuple[OptionSpec, ...] = (
    _switch(
        "directory", "path", "Write the PDFs into this folder (made if missing), each named after its deck; or "
        "--extract's files.", Panel.IO, flags=("-d", "--dir"), metavar="DIR", default_text="beside each deck",
        more="With several decks, see Batches.",
    ),
    _switch(
        "watch", "yes/no", "Render, then render again each time the deck, its style sheets or its local images are "
        "saved.", Panel.IO, more="One line per render with its time; Ctrl-C stops.",
    ),
    _switch(
        "extract", "yes/no", "DECK is a PDF: write the files attached to it into -d DIR (made if missing; dates "
        "restored); never over a file that exists (see --force), never into a .git folder.", Panel.IO,
        default_text="NAME-attachments/ beside NAME.pdf", more="Names are printed with control characters escaped.",
    ),
    _switch(
        "force", "yes/no", "With --extract: replace files that exist (a link is removed, not followed).", Panel.IO
    ),
    _switch(
        "config", "path", "The settings file (TOML).", Panel.IO, metavar="FILE",
        default_text="$XDG_CONFIG_HOME/deck2pdf/config.toml (else ~/.config/deck2pdf/config.toml) if it exists",
        more="See Settings file and environment.",
    ),
    _switch(
        "bundle", "path", "Also write one PDF of all the talks, in the order given: cover, contents, every talk's "
        "pages; DECKs may be PDFs deck2pdf wrote (bundled, not rendered).", Panel.ARCHIVE, metavar="FILE",
        more="See Archiving a conference.",
    ),
    _switch(
        "index", "yes/no", "Also write index.html in -d DIR (or the PDFs' folder): each talk with a thumbnail and "
        "links, offline HTML and CSS; DECKs may be PDFs deck2pdf wrote.", Panel.ARCHIVE,
    ),
    _switch(
        "shard", "text", "Convert only the K-th of N stable shares of the decks (K from 0), for a batch spread over "
        "machines; a deck's share depends on its file name only.", Panel.SPEED, metavar="K/N",
    ),
    _switch("inspect", "yes/no", "Print the parsed deck as JSON and render nothing.", Panel.INFO),
    _switch(
        "quiet", "yes/no", "Print errors only (no progress bar, no batch summary).", Panel.INFO,
        flags=("-q", "--quiet"),
    ),
    _switch("verbose", "yes/no", "Print more detail (stage times).", Panel.INFO, flags=("-v", "--verbose")),
    _switch(
        "json_report", "yes/no", "Print a report of the conversion as JSON on stdout; a batch's table goes to stderr "
        "either way.", Panel.INFO, flags=("--json",),
        more="A batch's has one object per deck: output, title, author, date, pages, slides, outputs, warnings, "
        "time, error, exit code.",
    ),
    _switch("debug", "yes/no", "Show a traceback on an unexpected error.", Panel.INFO),
    _switch("list_themes", "yes/no", "List the installed print themes and exit.", Panel.INFO),
    _switch("version", "yes/no", "Print the version and exit.", Panel.INFO, flags=("--version", "-V")),
)
# fmt: on


def table() -> list[OptionSpec]:
    """Every flag's spec, in --help's order: by panel, then as declared."""
    order = list(Panel)
    flagged = [spec for spec in (*SPECS.values(), *SWITCHES) if spec.flags]
    return sorted(flagged, key=lambda spec: order.index(Panel(spec.panel or Panel.INFO)))


def default_words(spec: OptionSpec) -> str:
    """The default as --help and README say it ("" when there is nothing to say)."""
    if spec.default_text:
        text = spec.default_text
    elif spec.default is None or spec.default == () or spec.name not in SPECS:
        return ""
    else:
        text = _value(spec.default)
    return text if spec.untrusted is None else f"{text} ({_value(spec.untrusted)} with --untrusted)"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _metavar(spec: OptionSpec) -> str:
    if spec.metavar is not None:
        return spec.metavar
    return "|".join(map(str, spec.choices)) if spec.choices else ""  # "": a yes/no, whose value is its flag


# ---------------------------------------------------------------------------------------------------------------
# The Typer command.

_TYPES: dict[str, Any] = {
    "yes/no": bool,
    "whole number": int,
    "number": float,
    "text": str,
    "page size": str,
    "path": Path,
    "paths": list[Path],
}
Main = TypeVar("Main", bound=Callable[..., None])


def declared(callbacks: Mapping[str, Callable[[bool], None]]) -> Callable[[Main], Main]:
    """Give `main(ctx, decks, **given)` a parameter per flag in the table, as Typer reads a signature: options
    default to None ("not given"), switches to off; `callbacks` are eager (--version, --list-themes)."""

    def declare(main: Main) -> Main:
        signature = inspect.signature(main, eval_str=True)  # Typer reads the annotations as objects
        head = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        main.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*head, *(_parameter(spec, callbacks.get(spec.name)) for spec in table())]
        )
        return main

    return declare


def _parameter(spec: OptionSpec, callback: Callable[[bool], None] | None) -> inspect.Parameter:
    words = default_words(spec)
    help = spec.help + (f" [default: {words}]" if words else "")
    info = typer.Option(
        *spec.flags,
        help=help.replace("[", "\\["),  # rich markup: brackets are its tags
        rich_help_panel=spec.panel,
        metavar=_metavar(spec),
        show_default=False,
        callback=callback,
        is_eager=callback is not None,
    )
    switch = spec.name not in SPECS and spec.kind == "yes/no"  # a flag that is off unless given
    hint = _TYPES[spec.kind] if switch else Optional[_TYPES[spec.kind]]  # Typer reads it at run time
    return inspect.Parameter(
        spec.name, inspect.Parameter.KEYWORD_ONLY, default=False if switch else None, annotation=Annotated[hint, info]
    )


class Command(TyperCommand):
    """The command, its --help in words: `deck2pdf [OPTIONS] DECK...`, and no Python type names (`<bool>`,
    `<list[Path]>`) beside flags or arguments."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # with Typer's own: --help, --install-completion
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
            elif isinstance(param, TyperArgument) and type(param) is TyperArgument:
                param.__class__ = _Words  # Typer makes the argument; it has no way to ask for another class
        return params


class _Words(TyperArgument):
    """An argument shown by its metavar alone (`DECK...`): no braces, no type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [self.metavar or self.name or ""]


# ---------------------------------------------------------------------------------------------------------------
# README's options table.

README_START = "<!-- options: made from deck2pdf/options.py and flags.py by `make readme`; edit them, not this -->"
README_END = "<!-- end of options -->"


def readme_table() -> str:
    """README's options table: each flag, its help sentence (and README's words after it), its default."""
    rows = ["| option | meaning | default |", "| --- | --- | --- |"]
    for spec in table():
        flags = sorted(spec.flags, key=lambda f: f.startswith("--"))  # -o, --output
        spellings = " / ".join(", ".join(f.split("/")[i] for f in flags) for i in range(_forms(spec)))
        metavar = f" {_metavar(spec)}" if _metavar(spec) else ""
        cells = [f"`{spellings}{metavar}`", f"{spec.help} {spec.more}".strip(), default_words(spec)]
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    rows.append(
        "| `--install-completion` / `--show-completion` | Shell completion for bash, zsh, fish or PowerShell. | |"
    )
    return "\n".join(rows) + "\n"


def _forms(spec: OptionSpec) -> int:
    return 2 if "/" in spec.flags[-1] else 1


def with_table(readme: str) -> str:
    """README's text with the table between its markers made anew."""
    head, rest = readme.split(README_START + "\n", 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n{readme_table()}{README_END}{tail}"


if __name__ == "__main__":
    path = Path(sys.argv[1])
    path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
