"""Options: defaults < front matter < settings file < environment < flags, each value read and checked once."""

from __future__ import annotations

import datetime
import json
import os
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from deck2pdf.errors import Deck2PdfError, ThemeError, UsageError
from deck2pdf.fetch import FetchPolicy
from deck2pdf.options import SPECS, UNTRUSTED_LIMITS, Options, OptionSpec, PageSize, Settings
from deck2pdf.parse import Limits

DECK = Path("talks/deck.md")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("16:9", (1280, 720)),
        ("4:3", (1024, 768)),
        ("1920x1080px", (1920, 1080)),
        ("10inx7.5in", (960, 720)),
        ("254 x 142.875 mm", (960, 540)),
        ("297mmx210mm", (1122.52, 793.701)),
        ("800x600", None),
        ("16:8", None),
        ("0x0px", None),
    ],
)
def test_page_sizes(text: str, size: tuple[float, float] | None) -> None:
    if size is None:
        with pytest.raises(UsageError, match="--size"):
            PageSize.parse(text)
    else:
        parsed = PageSize.parse(text)
        assert (round(parsed.width, 2), round(parsed.height, 2)) == pytest.approx(size, abs=0.01)


def test_defaults() -> None:
    options, warnings = Options.resolve({}, {}, DECK)
    assert options == Options() and warnings == []
    assert options.size == PageSize(1280, 720) and options.progress and options.fit and options.min_scale == 0.5
    assert options.output_for(DECK) == Path("talks/deck.pdf")


def test_front_matter_then_flags() -> None:
    meta = {"theme": "pgporada/cleaver-dark", "style": "s.css", "progress": False}
    options, _ = Options.resolve(meta, {}, DECK)
    assert (options.theme, options.theme_source, options.style, options.progress) == (
        "pgporada/cleaver-dark",
        "front matter",
        Path("talks/s.css"),
        False,
    )
    options, _ = Options.resolve(meta, {"theme": "default", "progress": True, "size": "4:3", "output": "x.pdf"}, DECK)
    assert (options.theme, options.theme_source, options.progress) == ("default", "--theme", True)
    assert options.size == PageSize(1024, 768) and options.output == Path("x.pdf")


@pytest.mark.parametrize(
    ("value", "on"), [(None, False), ("", False), (0, False), (False, False), ("no", True), (True, True)]
)
def test_progress_follows_cleavers_falsy_rule(value: object, on: bool) -> None:
    assert Options.resolve({"progress": value}, {}, DECK)[0].progress is on


def test_unknown_front_matter_keys_warn_and_cleaver_screen_keys_do_not() -> None:
    _, warnings = Options.resolve(
        {"controls": True, "output": "x.html", "encoding": "utf-8", "colour": "red"}, {}, DECK
    )
    assert warnings == [f"{DECK}: front matter key `colour` is not used by deck2pdf; remove it or check its spelling"]


def test_a_remote_style_sheet_is_not_fetched() -> None:
    options, warnings = Options.resolve({"style": "https://example.org/s.css"}, {}, DECK)
    assert options.style is None and "remote stylesheets are not fetched" in warnings[0]


@pytest.mark.parametrize("scale", [0.1, 1.5])
def test_min_scale_is_validated(scale: float) -> None:
    with pytest.raises(UsageError, match="--min-scale"):
        Options.resolve({}, {"min_scale": scale}, DECK)


# ---------------------------------------------------------------------------------------------------------------
# One resolver for every source: defaults < front matter < settings file < DECK2PDF_* environment < flags.
# The samples below are made per kind of value, from the spec table, so every option is covered.


def sample(spec: OptionSpec, folder: Path) -> Any:
    """A valid value for `spec` that is not its default, as Python holds it (what a flag gives)."""
    default = getattr(Options(), spec.name)
    if spec.kind == "yes/no":
        return not default
    if spec.choices:
        return spec.choices[-1]
    if spec.kind in ("whole number", "number"):
        low = spec.low if spec.low is not None else 1
        value = low * 2 if spec.high is None or low * 2 <= spec.high else spec.high
        return int(value) if spec.kind == "whole number" else float(value)
    if spec.name == "theme_base_url":
        return "http://127.0.0.1:9/themes/"
    if spec.kind == "text":
        return "dark"  # a theme that exists; any text for the others
    if spec.kind == "page size":
        return "4:3"
    if spec.kind == "date":
        return datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC)
    assert spec.kind in ("path", "paths"), spec.kind
    (folder / "extra.css").write_text("p { color: red }")
    return folder / "extra.css"  # a file that exists, as --css wants


def expected(spec: OptionSpec, value: Any) -> Any:
    """What Options holds once `value` (a sample) is read."""
    if spec.kind == "page size":
        return PageSize.parse(value)
    if spec.kind == "paths":
        return (value,)
    return value


def toml(spec: OptionSpec, value: Any) -> str:
    """A settings file's line setting `value` (JSON's spelling of these values is TOML's)."""
    if spec.kind == "paths":
        value = [str(value)]
    return f"{spec.name} = {json.dumps(str(value) if isinstance(value, Path) else value)}\n"


def env_text(value: Any) -> str:
    """An environment variable's text for `value`."""
    if isinstance(value, bool):
        return "yes" if value else "off"
    return str(value)


def settings_file(folder: Path, text: str) -> Settings:
    path = folder / "config.toml"
    path.write_text(text)
    return Settings(tomllib.loads(text), path)


def specs_from(source: str) -> list[Any]:
    return [pytest.param(spec, id=name) for name, spec in SPECS.items() if source in spec.sources]


def test_every_option_has_a_spec_with_a_kind_and_decks_set_only_theme_style_and_progress() -> None:
    assert set(SPECS) == {f.name for f in fields(Options)} - {"theme_source", "given"}
    assert {name for name, spec in SPECS.items() if "front matter" in spec.sources} == {"theme", "style", "progress"}
    for spec in SPECS.values():
        assert spec.kind and spec.flag and spec.sources


@pytest.mark.parametrize("spec", specs_from("settings"))
def test_every_option_can_be_set_in_the_settings_file(spec: OptionSpec, tmp_path: Path) -> None:
    value = sample(spec, tmp_path)
    options, _ = Options.resolve({}, {}, DECK, settings=settings_file(tmp_path, toml(spec, value)), environ={})
    assert getattr(options, spec.name) == expected(spec, value)


@pytest.mark.parametrize("spec", specs_from("environment"))
def test_every_option_can_be_set_in_the_environment(spec: OptionSpec, tmp_path: Path) -> None:
    value = sample(spec, tmp_path)
    options, _ = Options.resolve({}, {}, DECK, environ={spec.env: env_text(value)})
    assert getattr(options, spec.name) == expected(spec, value)


@pytest.mark.parametrize("spec", specs_from("flags"))
def test_every_option_can_be_set_by_a_flag(spec: OptionSpec, tmp_path: Path) -> None:
    value = sample(spec, tmp_path)
    options, _ = Options.resolve({}, {spec.name: value}, DECK, environ={})
    assert getattr(options, spec.name) == expected(spec, value)


def test_precedence_is_defaults_front_matter_settings_environment_flags(tmp_path: Path) -> None:
    meta = {"theme": "jdan/cleaver-retro", "progress": False}
    settings = settings_file(tmp_path, 'theme = "ink"\nimage_dpi = 100\nprogress = true\npaper = "legal"\n')
    environ = {"DECK2PDF_THEME": "dark", "DECK2PDF_IMAGE_DPI": "150"}
    flags = {"theme": "default", "image_dpi": None}  # None: not given

    def theme_dpi_progress(
        meta: dict[str, Any], settings: Settings | None, environ: dict[str, str], flags: dict[str, Any]
    ) -> tuple[str, str, int, bool]:
        options, _ = Options.resolve(meta, flags, DECK, settings=settings, environ=environ)
        return options.theme, options.theme_source, options.image_dpi, options.progress

    assert theme_dpi_progress({}, None, {}, {}) == ("default", "default", 200, True)
    assert theme_dpi_progress(meta, None, {}, {}) == ("jdan/cleaver-retro", "front matter", 200, False)
    assert theme_dpi_progress(meta, settings, {}, {}) == ("ink", "--theme", 100, True)
    assert theme_dpi_progress(meta, settings, environ, {}) == ("dark", "--theme", 150, True)
    assert theme_dpi_progress(meta, settings, environ, flags) == ("default", "--theme", 150, True)


def test_passing_on_the_given_values_gives_the_same_options_under_a_decks_front_matter(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, "untrusted = true\nimage_dpi = 100\n")
    environ = {"DECK2PDF_OFFLINE": "no", "DECK2PDF_ALLOW_DIRS": str(tmp_path)}
    flags = {"size": "4:3", "max_slides": 50}
    first, _ = Options.resolve({}, flags, DECK, settings=settings, environ=environ)
    assert first.overrides() == {
        "allow_dirs": (),  # --untrusted: the deck's folder only
        "image_dpi": 100,
        "max_slides": 50,
        "offline": True,  # --untrusted without --allow-network
        "size": PageSize(1024, 768),
        "untrusted": True,
    }
    meta = {"progress": False, "theme": "jdan/cleaver-retro"}
    at_once, _ = Options.resolve(meta, flags, DECK, settings=settings, environ=environ)
    assert Options.resolve(meta, first.overrides(), DECK, environ={})[0] == at_once
    assert at_once.max_deck_bytes == UNTRUSTED_LIMITS["max_deck_bytes"] and at_once.max_slides == 50


@pytest.mark.parametrize(("text", "offline"), [('"no"', False), ('"yes"', True), ("false", False), ('"Off"', False)])
def test_a_yes_or_no_setting_reads_text_as_people_write_it(text: str, offline: bool, tmp_path: Path) -> None:
    settings = settings_file(tmp_path, f"offline = {text}\n")
    assert Options.resolve({}, {}, DECK, settings=settings, environ={})[0].offline is offline


@pytest.mark.parametrize("text", ["1", "true", "YES", "on"])
def test_a_yes_or_no_variable_reads_the_usual_spellings(text: str) -> None:
    assert Options.resolve({}, {}, DECK, environ={"DECK2PDF_OFFLINE": text})[0].offline is True


def test_a_number_given_as_text_in_the_settings_is_read_as_a_number(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, 'image_dpi = "300"\nmin_scale = "0.7"\n')
    options, _ = Options.resolve({}, {}, DECK, settings=settings, environ={})
    assert (options.image_dpi, options.min_scale) == (300, 0.7)


def test_the_settings_file_error_names_the_file_the_key_and_the_value(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, 'image_dpi = "300x"\n')
    with pytest.raises(UsageError) as caught:
        Options.resolve({}, {}, DECK, settings=settings, environ={})
    assert str(caught.value) == f'{settings.file}: image_dpi: expected a whole number, got "300x"'


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ({"environ": {"DECK2PDF_IMAGE_DPI": "300x"}}, 'DECK2PDF_IMAGE_DPI: expected a whole number, got "300x"'),
        ({"environ": {"DECK2PDF_OFFLINE": "maybe"}}, "DECK2PDF_OFFLINE: expected true or false (or yes/no, on/off"),
        ({"flags": {"image_dpi": 5}}, "--image-dpi 5: must be between 36 and 1200"),
        ({"flags": {"handout": 5}}, "--handout 5: must be one of 1, 2, 3, 4, 6, 9"),
        ({"flags": {"paper": "A5"}}, "--paper A5: must be one of a4, letter, legal, a3"),
        ({"flags": {"size": "254 x 3"}}, "--size '254 x 3': not a page size"),
        ({"environ": {"DECK2PDF_OUTPUT": "x.pdf"}}, "DECK2PDF_OUTPUT: output cannot be set from the environment; use"),
        ({"settings": "output = 'x.pdf'\n"}, "{file}: `output` cannot be a setting; use one of: "),
        ({"settings": "colour = 1\n"}, "{file}: unknown setting `colour`; use one of: "),
        ({"settings": "max_slides = 0\n"}, "{file}: max_slides: must be between 1 and 1000000, got 0"),
        ({"settings": "offline = 'maybe'\n"}, "{file}: offline: expected true or false (or yes/no, on/off, 1/0), got"),
        ({"settings": "css = ['a.css', 7]\n"}, "{file}: css: expected a path, got 7"),
        ({"settings": "css = 'nope.css'\n"}, '{file}: css: no such file, got "{folder}/nope.css"'),
    ],
)
def test_a_bad_value_is_a_one_line_error_naming_its_source(
    sources: dict[str, Any], message: str, tmp_path: Path
) -> None:
    settings = settings_file(tmp_path, sources["settings"]) if "settings" in sources else None
    with pytest.raises(UsageError) as caught:
        Options.resolve({}, sources.get("flags", {}), DECK, settings=settings, environ=sources.get("environ", {}))
    text = str(caught.value)
    assert text.startswith(message.format(file=tmp_path / "config.toml", folder=tmp_path)), text
    assert "\n" not in text


def bad(spec: OptionSpec, source: str) -> Any:
    """A value of the wrong kind for `spec`, as `source` spells it, or None when every text is valid there."""
    wrong = {"yes/no": "maybe", "whole number": "300x", "number": "fast", "page size": "3", "date": "today"}
    if spec.kind in wrong:
        return wrong[spec.kind]
    if spec.choices:
        return "A5"
    if spec.name == "theme":
        return "no-such-theme"
    if spec.name == "css":
        return "no-such.css"
    return 7 if source == "settings" else None  # paths and text: only a number is wrong, and only TOML has one


@pytest.mark.parametrize(
    ("spec", "source"),
    [
        pytest.param(spec, source, id=f"{source}-{name}")
        for name, spec in SPECS.items()
        for source in ("settings", "environment", "flags")
        if source in spec.sources and bad(spec, source) is not None
    ],
)
def test_every_option_rejects_a_bad_value_naming_where_it_came_from(
    spec: OptionSpec, source: str, tmp_path: Path
) -> None:
    value = bad(spec, source)
    with pytest.raises(Deck2PdfError) as caught:
        if source == "settings":
            settings = settings_file(tmp_path, f"{spec.name} = {json.dumps(value)}\n")
            Options.resolve({}, {}, DECK, settings=settings, environ={})
        elif source == "environment":
            Options.resolve({}, {}, DECK, environ={spec.env: value})
        else:
            Options.resolve({}, {spec.name: value}, DECK, environ={})
    text = str(caught.value)
    place = {"settings": f"{tmp_path / 'config.toml'}: {spec.name}: ", "environment": f"{spec.env}: "}
    assert text.startswith(place.get(source, f"{spec.flag} {value}: ")), text
    assert "\n" not in text


def test_other_deck2pdf_variables_and_empty_ones_are_not_options() -> None:
    environ = {"DECK2PDF_NO_PATCHES": "1", "DECK2PDF_SHARED": "/x", "DECK2PDF_THEME": "", "DECK2PDF_THEME_SOURCE": "x"}
    options, warnings = Options.resolve({}, {}, DECK, environ=environ)
    assert options == Options() and warnings == []


def test_list_variables_are_split_like_path(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("")
    (tmp_path / "b.css").write_text("")
    environ = {"DECK2PDF_CSS": f"{tmp_path / 'a.css'}{os.pathsep}{tmp_path / 'b.css'}{os.pathsep}"}
    assert Options.resolve({}, {}, DECK, environ=environ)[0].css == (tmp_path / "a.css", tmp_path / "b.css")


def test_relative_paths_in_the_settings_file_start_from_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "print.css").write_text("")
    settings = settings_file(tmp_path / "conf", 'css = ["print.css"]\ncache_dir = "cache"\n')
    monkeypatch.chdir(tmp_path)
    options, _ = Options.resolve({}, {"allow_dirs": ["pics"]}, DECK, settings=settings, environ={})
    assert options.css == (tmp_path / "conf" / "print.css",)
    assert options.cache_dir == tmp_path / "conf" / "cache"
    assert options.allow_dirs == (tmp_path / "pics",)  # a flag's: from the working folder


def test_a_theme_named_outside_the_deck_must_exist_and_the_error_says_where(tmp_path: Path) -> None:
    settings = settings_file(tmp_path, 'theme = "nope"\n')
    with pytest.raises(ThemeError, match=r'config.toml: theme: no such theme, got "nope"; use one of'):
        Options.resolve({}, {}, DECK, settings=settings, environ={})
    with pytest.raises(ThemeError, match=r"^DECK2PDF_THEME: no such theme"):
        Options.resolve({}, {}, DECK, environ={"DECK2PDF_THEME": "nope"})
    options, _ = Options.resolve({"theme": "nope/cleaver-nope"}, {}, DECK, environ={})  # Cleaver's: falls back later
    assert (options.theme, options.theme_source) == ("nope/cleaver-nope", "front matter")


def test_a_front_matter_value_of_the_wrong_kind_is_a_warning() -> None:
    options, warnings = Options.resolve({"theme": 5, "style": ["a.css"]}, {}, DECK, environ={})
    assert options.theme == "default" and options.style is None
    assert warnings == [
        f"{DECK}: front matter: theme: expected text, got 5; ignored",
        f'{DECK}: front matter: style: expected text, got ["a.css"]; ignored',
    ]


def test_untrusted_from_the_environment_tightens_the_limits_unless_one_is_given() -> None:
    options, _ = Options.resolve({}, {}, DECK, environ={"DECK2PDF_UNTRUSTED": "1", "DECK2PDF_MAX_SLIDES": "900"})
    assert options.max_deck_bytes == UNTRUSTED_LIMITS["max_deck_bytes"] and options.max_slides == 900
    assert options.offline and Limits.from_options(options) == Limits(2 * 1024 * 1024, 900, 50_000)


def test_the_stages_defaults_are_the_options_defaults() -> None:
    assert Limits() == Limits.from_options(Options())
    assert FetchPolicy() == FetchPolicy.from_options(Options())


def test_the_theme_base_url_is_a_web_folder_and_deck_is_a_theme(tmp_path: Path) -> None:
    from deck2pdf.errors import UsageError

    options, _ = Options.resolve(
        {}, {"theme_base_url": "https://mirror.example/gh", "theme": "deck"}, tmp_path / "d.md"
    )
    assert options.theme_base_url == "https://mirror.example/gh/" and options.theme == "deck"
    with pytest.raises(UsageError, match="not an http"):
        Options.resolve({}, {"theme_base_url": "file:///etc/"}, tmp_path / "d.md")
