"""The command line: exit codes per kind of failure, one-line messages, nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer

from deck2pdf import __version__
from deck2pdf.cli import app
from deck2pdf.errors import ExitCode
from deck2pdf.options import SPECS, Options, OptionSpec

from ..conftest import CliResult
from .test_options import env_text, expected, sample, toml

RunCli = Callable[..., CliResult]
MakeDeck = Callable[..., Path]


def test_renders_a_deck_beside_itself_by_default(run_cli: RunCli, make_deck: MakeDeck) -> None:
    deck = make_deck("title: T\n--\n### One\n--\ntwo\n")
    result = run_cli(deck)
    assert result.exit_code == 0, result.stderr
    assert deck.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert result.stderr == f"deck2pdf: wrote {deck.with_suffix('.pdf')} (2 pages)\n"


def test_quiet_prints_nothing_but_errors(run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path) -> None:
    deck = make_deck("--\n![x](missing.png)\n")
    result = run_cli(deck, "-q", "-o", tmp_path / "o.pdf")
    assert result.exit_code == 0 and result.stderr == ""


def test_warnings_are_one_line_each_and_strict_makes_them_fatal(
    run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path
) -> None:
    deck = make_deck("--\n### A\n\n![x](missing.png)\n")
    out = tmp_path / "o.pdf"
    result = run_cli(deck, "-o", out)
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        f"deck2pdf: warning: {deck}:4 (slide 1): image 'missing.png' not found; check the path (relative to the deck's folder)"
    )
    out.write_bytes(b"previous")
    result = run_cli(deck, "-o", out, "--strict")
    assert result.exit_code == ExitCode.ASSET  # an image problem has its own exit code
    assert result.stderr.splitlines()[-1] == (
        f"deck2pdf: error: {deck}: 1 warning(s) with --strict; no PDF written; fix the warnings above, or drop --strict"
    )
    assert out.read_bytes() == b"previous"  # an existing output survives a failed run


@pytest.mark.parametrize(
    ("text", "args", "code", "message"),
    [
        ("title: a: b\n--\nx\n", (), ExitCode.DECK, "{deck}:1: bad front matter: mapping values are not allowed here"),
        ("", (), ExitCode.DECK, "{deck}: has no slides"),
        ("--\nx\n", ("--size", "3"), ExitCode.USAGE, "--size 3: not a page size"),
        ("--\nx\n", ("--theme", "nope"), ExitCode.THEME, "--theme nope: no such theme"),
        ("--\nx\n", ("--css", "nope.css"), ExitCode.USAGE, "--css nope.css: no such file"),
        ("--\nx\n", ("-o", "/nonexistent/dir/x.pdf"), ExitCode.OUTPUT, "/nonexistent/dir/x.pdf: the output's folder"),
        ("--\nx\n", ("--min-scale", "5"), ExitCode.USAGE, "--min-scale 5.0: must be between 0.2 and 1"),
    ],
)
def test_errors_are_one_line_with_a_distinct_exit_code(
    run_cli: RunCli, make_deck: MakeDeck, text: str, args: tuple[str, ...], code: int, message: str
) -> None:
    deck = make_deck(text, raw=True)
    result = run_cli(deck, *args)
    assert result.exit_code == code
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("deck2pdf: error: " + message.format(deck=deck)), result.stderr
    assert "Traceback" not in result.stderr
    assert not deck.with_suffix(".pdf").exists()


def test_missing_deck_and_output_equal_to_input(run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path) -> None:
    result = run_cli(tmp_path / "nope.md")
    assert result.exit_code == ExitCode.DECK and "no such file" in result.stderr
    deck = make_deck("--\nx\n")
    result = run_cli(deck, "-o", deck)
    assert result.exit_code == ExitCode.OUTPUT and "would overwrite the deck" in result.stderr
    assert deck.read_text() == "--\nx\n"


def test_an_unexpected_exception_is_reported_as_a_bug_without_a_traceback(
    run_cli: RunCli, make_deck: MakeDeck, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr("deck2pdf.pipeline.Typesetter", boom)
    result = run_cli(make_deck("--\nx\n"))
    assert result.exit_code == ExitCode.BUG
    assert (
        result.stderr.strip()
        == "deck2pdf: error: internal error (ZeroDivisionError: oops); this is a bug, please report it with the deck"
    )


def test_inspect_prints_json_and_renders_nothing(run_cli: RunCli, make_deck: MakeDeck) -> None:
    deck = make_deck("title: T\n--\n### One\n")
    result = run_cli(deck, "--inspect")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["slides"][0]["title"] == "One"
    assert not deck.with_suffix(".pdf").exists()


def test_version(run_cli: RunCli) -> None:
    result = run_cli("--version")
    assert result.exit_code == 0 and result.stdout == f"deck2pdf {__version__}\n"


def test_a_slide_too_long_even_at_min_scale_continues_or_is_cut_with_a_warning(
    run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path
) -> None:
    deck = make_deck("--\n### Long\n" + "".join(f"* item{i}x\n" for i in range(40)) + "--\nshort\n")
    out = tmp_path / "o.pdf"
    result = run_cli(deck, "-o", out)
    assert result.exit_code == 0
    assert (
        f"deck2pdf: warning: {deck}:1 (slide 1): it does not fit its page even with its text at 50%, "
        "so it continues on the next 3 pages at its own size" in result.stderr
    )
    from ..helpers import page_labels, page_texts

    texts = page_texts(out)
    assert page_labels(out) == ["1", "1 (cont.)", "1 (cont. 2)", "1 (cont. 3)", "2"]
    assert "item0x" in texts[0] and "item39x" in texts[3] and "item" not in texts[4]
    result = run_cli(deck, "-o", out, "--overflow", "cut")
    assert "so it is cut at the slide's edge (--overflow cut)" in result.stderr
    first, second = page_texts(out)
    assert "item0x" in first and "item39x" not in first and "item" not in second
    assert run_cli(deck, "-o", out, "--overflow", "never").exit_code == 2


def test_no_fit_continues_instead_of_shrinking(run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path) -> None:
    deck = make_deck("--\n### Long\n" + "".join(f"* item {i}\n" for i in range(16)))
    assert "shrunk to" in run_cli(deck, "-o", tmp_path / "a.pdf").stderr
    result = run_cli(deck, "-o", tmp_path / "b.pdf", "--no-fit")
    assert "shrunk" not in result.stderr and "with --no-fit, so it continues on the next page" in result.stderr


@pytest.mark.parametrize(
    ("size", "points"), [("4:3", (768, 576)), ("16:9", (960, 540)), ("297x210mm", (841.89, 595.28))]
)
def test_size_sets_the_page_size(
    run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path, size: str, points: tuple[float, float]
) -> None:
    out = tmp_path / "o.pdf"
    assert run_cli(make_deck("--\nx\n--\ny\n"), "-o", out, "--size", size).exit_code == 0
    from pypdf import PdfReader

    boxes = {(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in PdfReader(out).pages}
    assert boxes == {points}


def test_verbose_reports_the_stages(make_deck: MakeDeck, tmp_path: Path) -> None:
    import subprocess
    import sys

    # The real command: the rendering process it starts writes its stages to the same stderr.
    result = subprocess.run(
        [sys.executable, "-m", "deck2pdf", str(make_deck("--\nx\n")), "-o", str(tmp_path / "o.pdf"), "-v"],
        capture_output=True,
        text=True,
    )
    assert (
        "deck2pdf: parsed 1 slides (" in result.stderr
        and "rendered 1 slides in 1 chunk(s) with theme default" in result.stderr
    )


def test_list_themes(run_cli: RunCli) -> None:
    result = run_cli("--list-themes")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["dark", "default", "ink", "retro"]
    assert "for printing any deck on paper" in result.stdout


def test_a_character_no_font_has_is_a_warning_naming_it(run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path) -> None:
    deck = make_deck("--\nfine\n--\nAn Egyptian hieroglyph: \U00013000\n")
    result = run_cli(deck, "-o", tmp_path / "o.pdf")
    assert result.exit_code == 0
    assert f"deck2pdf: warning: {deck} (slide 2): no font has a glyph for '\U00013000' (U+13000)" in result.stderr


def test_relative_paths_work(run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    (tmp_path / "talk").mkdir()
    Image.new("RGB", (30, 20), "red").save(tmp_path / "talk" / "pic.png")
    (tmp_path / "talk" / "deck.md").write_text("--\n![pic](pic.png)\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("talk/deck.md", "-o", "out.pdf", "--cache-dir", "cache", "--allow-dir", ".")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.pdf").is_file() and "1 image: 1 local, 0 missing" in result.stderr


def test_strict_with_a_warning_that_is_not_about_an_image_exits_8(
    run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path
) -> None:
    result = run_cli(make_deck("colour: red\n--\nx\n"), "-o", tmp_path / "o.pdf", "--strict")
    assert result.exit_code == ExitCode.STRICT
    assert "front matter key `colour` is not used by deck2pdf" in result.stderr


def test_settings_file(run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path) -> None:
    settings = tmp_path / "config.toml"
    settings.write_text('untrusted = true\npaper = "letter"\n')
    deck = make_deck("".join(f"--\n{i}\n" for i in range(600)))
    result = run_cli(deck, "--config", settings)
    assert result.exit_code == ExitCode.DECK and "over the 500-slide limit" in result.stderr  # untrusted's limit
    lower = run_cli(deck, "--config", settings, "--max-slides", "400")  # a flag wins (refused before rendering)
    assert lower.exit_code == ExitCode.DECK and "over the 400-slide limit" in lower.stderr
    settings.write_text("colour = 1\n")
    bad = run_cli(deck, "--config", settings)
    assert bad.exit_code == ExitCode.USAGE and f"{settings}: unknown setting `colour`" in bad.stderr


# ---------------------------------------------------------------------------------------------------------------
# Options reach the conversion from the settings file, the environment and the flags (no rendering here).


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Options]:
    """Stand in for the conversion: keep the Options each call would convert with (as resolved for a deck with no
    front matter). No user settings file is read."""
    seen: list[Options] = []

    def convert(deck: Path, overrides: Any, **kwargs: Any) -> Any:
        options = overrides if isinstance(overrides, Options) else Options.resolve({}, overrides, deck, environ={})[0]
        seen.append(options)
        return SimpleNamespace(output=options.output_for(deck), pages=1)

    monkeypatch.setattr("deck2pdf.pipeline.convert", convert)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    return seen


def _flag_args(spec: OptionSpec, value: Any) -> list[str]:
    if spec.kind == "yes/no":
        return [spec.flag if value else "--no-" + spec.flag.removeprefix("--")]
    return [spec.flag, str(value)]


def test_every_option_a_caller_sets_has_a_flag_except_the_date() -> None:
    command = typer.main.get_command(app)
    flags = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    without = {name for name, spec in SPECS.items() if "flags" in spec.sources and spec.flag not in flags}
    assert without == {"created"}  # SOURCE_DATE_EPOCH


@pytest.mark.parametrize(
    ("spec", "source"),
    [
        pytest.param(spec, source, id=f"{source}-{name}")
        for name, spec in SPECS.items()
        for source in ("settings", "environment", "flags")
        if source in spec.sources and (source != "flags" or spec.flag.startswith("--"))
    ],
)
def test_every_option_reaches_the_conversion_from_each_source(
    run_cli: RunCli,
    make_deck: MakeDeck,
    asked: list[Options],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    spec: OptionSpec,
    source: str,
) -> None:
    deck = make_deck("--\nx\n")
    value = sample(spec, tmp_path)
    args: list[str | Path] = [deck]
    if source == "settings":
        (tmp_path / "config.toml").write_text(toml(spec, value))
        args += ["--config", tmp_path / "config.toml"]
    elif source == "environment":
        monkeypatch.setenv(spec.env, env_text(value))
    else:
        args += _flag_args(spec, value)
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert getattr(asked[0], spec.name) == expected(spec, value)


def test_a_flag_beats_the_environment_which_beats_the_settings_file(
    run_cli: RunCli, make_deck: MakeDeck, asked: list[Options], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    deck = make_deck("--\nx\n")
    settings = tmp_path / "config.toml"
    settings.write_text('theme = "ink"\nimage_dpi = 100\noffline = "no"\n')
    monkeypatch.setenv("DECK2PDF_THEME", "dark")
    for args in [(), ("--theme", "retro")]:
        assert run_cli(deck, "--config", settings, *args).exit_code == 0
    assert [(o.theme, o.image_dpi, o.offline) for o in asked] == [("dark", 100, False), ("retro", 100, False)]


@pytest.mark.parametrize(
    ("setting", "variable", "message"),
    [
        ('image_dpi = "300x"', None, '{settings}: image_dpi: expected a whole number, got "300x"'),
        (
            'offline = "maybe"',
            None,
            '{settings}: offline: expected true or false (or yes/no, on/off, 1/0), got "maybe"',
        ),
        (None, ("DECK2PDF_IMAGE_DPI", "300x"), 'DECK2PDF_IMAGE_DPI: expected a whole number, got "300x"'),
        (None, ("DECK2PDF_MIN_SCALE", "5"), 'DECK2PDF_MIN_SCALE: must be between 0.2 and 1, got "5"'),
    ],
)
def test_a_bad_setting_or_variable_is_a_usage_error_naming_it(
    run_cli: RunCli,
    make_deck: MakeDeck,
    asked: list[Options],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    setting: str | None,
    variable: tuple[str, str] | None,
    message: str,
) -> None:
    settings = tmp_path / "no-config" / "deck2pdf" / "config.toml"  # the default place: $XDG_CONFIG_HOME/deck2pdf
    if setting is not None:
        settings.parent.mkdir(parents=True)
        settings.write_text(setting + "\n")
    if variable is not None:
        monkeypatch.setenv(*variable)
    result = run_cli(make_deck("--\nx\n"))
    assert result.exit_code == ExitCode.USAGE and not asked
    assert result.stderr.splitlines() == ["deck2pdf: error: " + message.format(settings=settings)]


@pytest.mark.parametrize("how", ["flag", "settings", "environment"])
def test_untrusted_limits_hold_for_inspect(
    run_cli: RunCli, make_deck: MakeDeck, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    deck = make_deck("".join(f"--\n{i}\n" for i in range(600)))
    plain = run_cli(deck, "--inspect")
    assert plain.exit_code == 0 and len(json.loads(plain.stdout)["slides"]) == 600
    args: list[str | Path] = [deck, "--inspect"]
    if how == "flag":
        args.append("--untrusted")
    elif how == "settings":
        (tmp_path / "config.toml").write_text("untrusted = true\n")
        args += ["--config", tmp_path / "config.toml"]
    else:
        monkeypatch.setenv("DECK2PDF_UNTRUSTED", "1")
    result = run_cli(*args)
    assert result.exit_code == ExitCode.DECK and result.stdout == ""
    assert result.stderr.startswith(f"deck2pdf: error: {deck}: has 600 slides, over the 500-slide limit;")
    assert len(result.stderr.splitlines()) == 1
    assert run_cli(*args, "--max-slides", "600").exit_code == 0  # a limit given explicitly still wins


def test_a_settings_file_that_is_not_utf8_is_a_usage_error(
    run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path
) -> None:
    settings = tmp_path / "config.toml"
    settings.write_bytes(b'theme = "d\xe9"\n')
    result = run_cli(make_deck("--\nx\n"), "--config", settings)
    assert result.exit_code == ExitCode.USAGE
    assert f"{settings}: the settings are not UTF-8 (byte 10); save it as UTF-8" in result.stderr


@pytest.mark.parametrize("name", ["offline", "refresh", "strict", "pdfa", "pdfua", "untrusted", "allow_network"])
def test_a_no_flag_turns_off_what_the_settings_file_turned_on(
    run_cli: RunCli, make_deck: MakeDeck, asked: list[Options], tmp_path: Path, name: str
) -> None:
    (tmp_path / "config.toml").write_text(f"{name} = true\n")
    flag = "--no-" + name.replace("_", "-")
    result = run_cli(make_deck("--\nx\n"), "--config", tmp_path / "config.toml", flag)
    assert result.exit_code == 0, result.stderr
    assert getattr(asked[0], name) is False


def test_help_reads_like_its_peers(run_cli: RunCli) -> None:
    """Options in panels, readable metavars (no Python type names), -V, shell completion."""
    import os

    os.environ["COLUMNS"] = "120"
    try:
        text = run_cli("--help").stdout
    finally:
        del os.environ["COLUMNS"]
    for panel in ("Input and output", "Look", "Fitting", "Images", "Handouts", "Archive", "Safety and limits", "Speed"):
        assert f"─ {panel} ─" in text, panel
    options = [line for line in text.splitlines() if line.startswith("│ -")]
    assert not [line for line in options if "list[" in line or "<path>" in line or "<float>" in line]
    assert "--output" in text and "FILE" in text and "1|2|3|4|6|9" in text and "[default: a4]" in text
    assert run_cli("-V").stdout.startswith("deck2pdf ")
    assert "--install-completion" in text


def test_every_conversion_has_a_deadline_and_a_memory_ceiling_by_default() -> None:
    """From the command line and from Python alike (a deck cannot set them: they are not front matter keys)."""
    from deck2pdf.pipeline import walls
    from deck2pdf.supervisor import MB, Walls

    assert walls({}, Path("d.md")) == Walls(600, 2048 * MB)
    assert walls({"untrusted": True}, Path("d.md")) == Walls(120, 1024 * MB)
    assert walls({"untrusted": True, "timeout": 5, "max_memory": 300}, Path("d.md")) == Walls(5, 300 * MB)
    resolved, warnings = Options.resolve({"timeout": 1e6, "max_memory": 10**6}, {}, Path("d.md"), environ={})
    assert (resolved.timeout, resolved.max_memory) == (600, 2048) and warnings


def test_the_command_gives_up_at_its_deadline_and_writes_nothing(
    run_cli: RunCli, make_deck: MakeDeck, tmp_path: Path
) -> None:
    deck = make_deck("--\n# A slide\n")
    result = run_cli(deck, "-o", tmp_path / "o.pdf", "--timeout", "0.001")
    assert result.exit_code == 6 and "gave up after 0.001 s (--timeout)" in result.stderr
    assert not (tmp_path / "o.pdf").exists()
