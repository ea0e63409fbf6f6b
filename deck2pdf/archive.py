"""Turn a deck into what an archived PDF carries about it: its date, its language, its sources attached (deck,
style sheet, a manifest of every image), page labels equal to slide numbers; and get the sources back out.

Nothing here reads the clock: the date is SOURCE_DATE_EPOCH (via Options) or the deck file's time, so the same
deck, options and image cache give the same bytes.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from ._version import __version__
from .errors import DeckError, UsageError
from .files import FileAccess
from .logs import one_line
from .markup import author_name
from .model import Attached, Deck
from .options import Options

MANIFEST = "deck2pdf-manifest.json"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# A few of each language's commonest words: enough to tell the languages real decks are written in.
_STOPWORDS = {
    "en": "the and of to is in that it for you with on are this be",
    "de": "der die und das ist nicht mit den ein sie zu ich es auf",
    "fr": "le la les et des est un une pour pas que qui dans sur",
    "es": "el la los las que de y en es por un una para con",
    "it": "il di che la e per non un una sono del della con",
    "pt": "o a os as que de e em um uma para com não é",
    "nl": "de het een en van is dat niet op te met voor zijn",
    "pl": "i w nie na się że to z jest do jak co",
    "fi": "ja on ei se että mutta kun tai niin myös joka",
    "hu": "a az és hogy nem is egy de van meg ez",
}


class Stamp:
    """What the PDF states about itself: date, language, PDF variant, attached sources."""

    def __init__(self, deck: Deck, options: Options) -> None:
        when = self.when = document_date(deck, options)
        self.date = w3c_date(when)
        self.epoch = int(when.timestamp())
        self.lang = language(deck)
        self.variant = {(True, False): "pdf/a-3b", (False, True): "pdf/ua-1", (True, True): "pdf/a-3a"}.get(
            (options.pdfa, options.pdfua)
        )
        self.attachments = tuple(sources(deck, options, when)) if options.embedding else ()

    def byline(self, deck: Deck) -> str:
        """Author and date for the handout header: front matter `date`, else the document's date (the same as
        the PDF's: SOURCE_DATE_EPOCH or the deck file's time, in UTC, so every machine prints the same)."""
        name = author_name(deck.meta.get("author"))
        when = deck.meta.get("date", self.when.date())
        if isinstance(when, datetime.date):
            when = f"{when.day} {when:%B %Y}"
        return " · ".join(part for part in (name, str(when or "")) if part)


def document_date(deck: Deck, options: Options) -> datetime.datetime:
    """The date the PDF states: SOURCE_DATE_EPOCH when given, else the deck file's modification time (UTC)."""
    if options.created is not None:
        return options.created.astimezone(datetime.UTC).replace(microsecond=0)
    mtime = deck.source.stat().st_mtime if deck.source.exists() else 0
    return datetime.datetime.fromtimestamp(int(mtime), datetime.UTC)


def w3c_date(when: datetime.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def language(deck: Deck) -> str:
    """The deck's language: front matter `lang`, else guessed from its words (script, then common words)."""
    given = deck.meta.get("lang")
    if isinstance(given, str) and given.strip():
        return given.strip()
    text = " ".join(re.sub(r"<[^>]*>", " ", s.html) for s in deck.slides)
    scripts = Counter(_script(ch) for ch in text if ch.isalpha())
    scripts.pop("latin-or-other", None)
    if scripts:
        script, count = scripts.most_common(1)[0]
        if count >= 20:
            if script == "cyrillic":
                return "uk" if re.search(r"[іїєґ]", text) else "ru"
            return cjk_language(text) if script in ("ja", "ko", "zh") else script
    words = Counter(w.lower() for w in _WORD.findall(text))
    scores = {lang: sum(words[w] for w in stop.split()) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] >= 5 else ""


# Common characters written only in Traditional or only in Simplified Chinese (each the other's form of one word).
_TRADITIONAL = frozenset(
    "們這個說時會來為對學國開發過與還點麼經種後進實從體現問應間機當關頭動電資樣裡將歡讓請話語認識網頁碼檔設計數據"
    "庫線統處錯誤執變運選擇單標題內圖見長門車東書買賣讀寫聽區業務產領導組織價員際專備裝環軟硬體狀態屬類隊報級"
)
_SIMPLIFIED = frozenset(
    "们这个说时会来为对学国开发过与还点么经种后进实从体现问应间机当关头动电资样里将欢让请话语认识网页码档设计数据"
    "库线统处错误执变运选择单标题内图见长门车东书买卖读写听区业务产领导组织价员际专备装环软硬状态属类队报级"
)


_CJK = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def cjk_language(text: str) -> str:
    """The language whose forms of Han characters `text` is written in, by its script: any share of kana says
    Japanese, of hangul Korean; Han alone is Chinese, Simplified unless traditional-only characters are the more.
    "" when it has no CJK text."""
    kana = hangul = han = traditional = simplified = 0
    for ch in _CJK.findall(text):  # (a deck of 1,000 Latin slides: one pass in C, not 300 ms of Python)
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:
            kana += 1
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            hangul += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            han += 1
            traditional += ch in _TRADITIONAL
            simplified += ch in _SIMPLIFIED
    cjk = kana + hangul + han
    if not cjk:
        return ""
    # A share, not any one: a Chinese text may quote a kana or two (の).
    if kana >= 0.05 * cjk:
        return "ja"
    if hangul >= 0.05 * cjk:
        return "ko"
    return "zh-Hant" if traditional > simplified else "zh"


_FACES = {"ja": "jp", "ko": "kr", "zh-hk": "hk", "zh-hant": "tc", "zh-tw": "tc", "zh-mo": "tc", "zh": "sc"}
_REGIONS = {"hk": "hk", "tw": "tc", "mo": "tc", "cn": "sc", "sg": "sc"}  # a Chinese tag's region decides first


def cjk_face(deck: Deck, lang: str) -> str:
    """Which Noto CJK face prints the deck's Han characters (sc, tc, hk, jp or kr): its language's when that is
    Chinese, Japanese or Korean, else its text's script's (`cjk_language`); "" when it has neither."""
    tag = lang.lower()
    subtags = tag.split("-")
    if subtags[0] == "zh" and (region := next((_REGIONS[t] for t in subtags[1:] if t in _REGIONS), "")):
        return region  # zh-Hant-HK: Hong Kong's face, not Taiwan's
    for prefix, face in _FACES.items():  # the longer, more precise prefixes first
        if tag == prefix or tag.startswith(prefix + "-"):
            return face
    text = " ".join(s.html for s in deck.slides)
    return _FACES.get(cjk_language(text).lower(), "")


def _script(ch: str) -> str:
    code = ord(ch)
    if 0x3040 <= code <= 0x30FF:
        return "ja"
    if 0xAC00 <= code <= 0xD7AF:
        return "ko"
    if 0x4E00 <= code <= 0x9FFF:
        return "zh"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if 0x0370 <= code <= 0x03FF:
        return "el"
    return "latin-or-other"


def sources(deck: Deck, options: Options, when: datetime.datetime) -> list[Attached]:
    """The files attached to an archived PDF: the deck (as it was read; from standard input or a library call's
    text, named `options.stdin_name`), its `style:` sheet, and a manifest of every image."""
    name = deck.source.name if deck.given is None else options.stdin_name
    text = deck.source.read_bytes() if deck.given is None else deck.given
    attached = [Attached(name, text, "The slide deck (Cleaver Markdown)", "Source", when)]
    style = deck.meta.get("style")
    if options.style is not None and options.style.is_file() and isinstance(style, str):
        name = PurePosixPath(style.strip()).as_posix()
        attached.append(Attached(name, options.style.read_bytes(), "The deck's style sheet", "Source", when))
    images = [
        {
            "ref": a.ref,
            "url": a.url,
            "origin": a.origin,
            "sha256": a.sha256,
            "fetched_at": w3c_date(datetime.datetime.fromtimestamp(a.fetched_at, datetime.UTC))
            if a.fetched_at
            else None,
            "problem": a.problem,
        }
        for a in sorted(deck.assets.values(), key=lambda a: a.url)
    ]
    manifest = {
        "generator": f"deck2pdf {__version__}",
        "deck": name,
        "deck_modified": w3c_date(when),
        "images": images,
    }
    data = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True).encode() + b"\n"
    attached.append(Attached(MANIFEST, data, "Every image of the deck: URL, fetch time, checksum", "Data", when))
    return attached


def finish(pdf: Any, labels: list[tuple[int, int]] | None, attached: Sequence[str] = ()) -> bytes:
    """Last touches: page labels equal to the slide numbers (`labels`: slide number and part, one per page; a
    slide's continuation pages are labelled `6 (cont.)`, `6 (cont. 2)`), no embedded file but deck2pdf's own
    (`attached`, by name: a deck's `rel=attachment` in any spelling the checks before missed attaches nothing), and
    each associated file listed once (WeasyPrint 70 lists every attachment twice in the catalog's /AF). `pdf` is
    PDF bytes or an open pikepdf document (which is closed)."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) if isinstance(pdf, bytes) else pdf as doc:
        _only_ours(doc, set(attached))
        if labels:
            nums: list[object] = []
            for index, (number, part) in enumerate(labels):
                if part:
                    label = f"{number} (cont.)" if part == 1 else f"{number} (cont. {part})"
                    nums += [index, pikepdf.Dictionary(P=pikepdf.String(label))]
                elif index == 0 or labels[index - 1] != (number - 1, 0):  # a new run of consecutive numbers
                    nums += [index, pikepdf.Dictionary(S=pikepdf.Name.D, St=number)]
            doc.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(nums))
        if "/AF" in doc.Root:
            seen: list[object] = []
            for spec in doc.Root.AF:
                if not any(spec.objgen == other.objgen for other in seen):  # type: ignore[attr-defined]
                    seen.append(spec)
            doc.Root.AF = pikepdf.Array(seen)
        return saved(doc)


def _only_ours(doc: Any, attached: set[str]) -> None:
    """Drop file-attachment annotations and every embedded file not named in `attached`."""
    import pikepdf

    for page in doc.pages:
        annots = page.obj.get("/Annots")
        if annots is not None and any(a.get("/Subtype") == "/FileAttachment" for a in annots):
            page.obj.Annots = pikepdf.Array([a for a in annots if a.get("/Subtype") != "/FileAttachment"])
    names = doc.Root.get("/Names")
    if names is not None and "/EmbeddedFiles" in names:
        tree = pikepdf.NameTree(names.EmbeddedFiles)
        for name in [n for n in tree if n not in attached]:
            del tree[name]
    if "/AF" in doc.Root:
        doc.Root.AF = pikepdf.Array(
            [spec for spec in doc.Root.AF if str(spec.get("/UF", spec.get("/F", ""))) in attached]
        )


def saved(doc: Any) -> bytes:
    """The PDF's bytes: objects packed in object streams; streams as they are (WeasyPrint compressed them: qpdf
    would decompress and compress each again)."""
    import pikepdf

    out = io.BytesIO()
    doc.save(
        out,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
    )
    return out.getvalue()


MAX_EXTRACT_BYTES = 256 * 2**20  # all of a PDF's attached files, at most (a deck, its sheet, its manifest)


def attachments_folder(pdf_path: Path) -> Path:
    """Where --extract writes without -d: a folder beside the PDF, named after it (`talk.pdf`: `talk-attachments/`)."""
    return pdf_path.with_name(f"{pdf_path.stem}-attachments")


def extract(pdf_path: Path, folder: Path, *, force: bool = False) -> list[Path]:
    """Write the files attached to a PDF into `folder` (made if missing; their dates restored); return their paths.

    No file that exists is replaced unless `force` (then it is removed first, a link included, never followed);
    every name is checked before anything is written, and nothing is written into a `.git` folder (a PDF's
    `.git/config` would run its commands at the next `git status`)."""
    import pikepdf

    try:
        doc = pikepdf.open(pdf_path)
    except (OSError, pikepdf.PdfError) as exc:
        raise DeckError(f"cannot read the PDF ({exc})", file=pdf_path, hint="give a PDF that deck2pdf wrote") from None
    written = []
    total = 0
    inside = FileAccess((folder,))
    with doc:
        if not doc.attachments:
            raise UsageError(
                "has no attached files", file=pdf_path, hint="only PDFs made with --embed-source or --pdfa have them"
            )
        targets = {}
        for name in sorted(doc.attachments):
            target = (folder / name).resolve()
            shown = one_line(name)
            if target in inside.roots or not inside.allows(target):  # a name like ../../x must not escape the folder
                raise UsageError(
                    f"attached file name '{shown}' points outside the folder; not extracted", file=pdf_path
                )
            if any(part.lower() == ".git" for part in target.parts):
                raise UsageError(
                    f"attached file '{shown}' would be written into a .git folder; nothing extracted",
                    file=pdf_path,
                    hint="extract into a folder outside any .git folder (-d DIR)",
                )
            if (target.exists() or target.is_symlink()) and not force:
                raise UsageError(
                    f"'{one_line(str(target))}' exists; nothing extracted",
                    file=pdf_path,
                    hint="extract into a new folder (-d DIR), or replace the files with --force",
                )
            targets[name] = target
        for name, spec in sorted(doc.attachments.items()):
            target = targets[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            attached = spec.get_file()
            params = attached.obj.get("/Params")
            declared = params.get("/Size") if params is not None else None
            packed = int(attached.obj.get("/Length", 0))
            if (declared is not None and int(declared) > MAX_EXTRACT_BYTES) or packed > MAX_EXTRACT_BYTES // 1032:
                # Too large, or compressed so that it could unpack past the limit (deflate's ratio is at most 1032).
                raise UsageError(
                    f"attached file '{name}' is over {MAX_EXTRACT_BYTES // 2**20} MB; not extracted",
                    file=pdf_path,
                    hint="deck2pdf attaches a deck, its style sheet and a manifest: this PDF was not made by it",
                )
            data = attached.read_bytes()
            total += len(data)
            if len(data) > MAX_EXTRACT_BYTES or total > MAX_EXTRACT_BYTES:
                raise UsageError(
                    f"its attached files are over {MAX_EXTRACT_BYTES // 2**20} MB; not extracted further",
                    file=pdf_path,
                    hint="deck2pdf attaches a deck, its style sheet and a manifest: this PDF was not made by it",
                )
            if force and (target.exists() or target.is_symlink()) and not target.is_dir():
                target.unlink()
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            try:
                with os.fdopen(os.open(target, flags, 0o644), "wb") as out:  # a new file, never one that exists
                    out.write(data)
            except OSError as exc:
                raise UsageError(
                    f"cannot write '{one_line(str(target))}' ({exc.strerror}); not extracted further", file=pdf_path
                ) from None
            if attached.mod_date is not None:
                stamp = attached.mod_date.timestamp()
                os.utime(target, (stamp, stamp))
            written.append(target)
    return written
