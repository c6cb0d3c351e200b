"""The citation engine: pandoc's citeproc run as a subprocess on many items at once.

The engine is the pandoc binary bundled by the PyPI package pypandoc-binary, run on
`catalogue/csl/render.lua`; one process formats a list of jobs (a style, a mode and items) and
answers with a pandoc JSON AST (written out by catalogue/citations/output.py). Items are made
to read as citeproc-js reads them before the engine sees them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from catalogue import conf
from catalogue.citations.styles import CSL_DIR, CitationStyle
from catalogue.rich_text import RICH_TEXT_TAG

RENDER_SCRIPT = CSL_DIR / "render.lua"
# Bump when the output of this package changes for the same input, to retire cached renderings.
RENDERER_VERSION = "3"


class CitationEngineError(RuntimeError):
    """The citation engine (pandoc) is missing, failed or timed out."""


def pandoc_path() -> str:
    """Return the pandoc binary: CITATION_PANDOC (conf.get), else the one pypandoc-binary ships."""
    configured = conf.get("CITATION_PANDOC")
    if configured:
        return configured
    # The bundled binary, not whatever pandoc is on PATH: output is pinned to its version.
    spec = importlib.util.find_spec("pypandoc")
    if spec is None or not spec.submodule_search_locations:
        raise CitationEngineError(
            "pandoc is not available: install pypandoc-binary or set CITATION_PANDOC."
        )
    binary = Path(next(iter(spec.submodule_search_locations))) / "files" / "pandoc"
    if not binary.exists():
        raise CitationEngineError(
            f"pandoc is not available at {binary}: install pypandoc-binary "
            "(not plain pypandoc) or set CITATION_PANDOC."
        )
    return str(binary)


@lru_cache(maxsize=64)
def _file_digest(path: str, mtime: float, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def fingerprint(style: CitationStyle) -> str:
    """Return a short digest of what determines the output: renderer, engine binary, style."""
    parts = [RENDERER_VERSION, style.locale or ""]
    for path in (style.path, RENDER_SCRIPT):
        stat = path.stat()
        parts.append(_file_digest(str(path), stat.st_mtime, stat.st_size))
    # The binary is large: its path, size and time identify it well enough.
    binary = Path(pandoc_path())
    identity = binary.stat() if binary.exists() else None
    parts.append(f"{binary}:{identity.st_size}:{identity.st_mtime}" if identity else str(binary))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _timeout(item_count: int) -> float:
    base = conf.get("CITATION_TIMEOUT")
    # Formatting one item on its own costs up to ~30 ms (the style is parsed each time).
    return base + item_count * 0.05


def run_engine(jobs: list[dict[str, Any]]) -> list[list[dict]]:
    """Run pandoc once on `jobs`; return each job's blocks (pandoc JSON AST)."""
    count = sum(len(job["items"]) for job in jobs)
    request = json.dumps({"jobs": jobs}, ensure_ascii=False).encode("utf-8")
    try:
        completed = subprocess.run(  # noqa: S603 - fixed binary and script, input on stdin
            [pandoc_path(), "lua", str(RENDER_SCRIPT)],
            input=request,
            capture_output=True,
            timeout=_timeout(count),
            check=False,
        )
    except FileNotFoundError as error:
        raise CitationEngineError(f"pandoc could not be started: {error}") from error
    except subprocess.TimeoutExpired as error:
        raise CitationEngineError(
            f"pandoc took more than {error.timeout:.0f} s to format {count} items."
        ) from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise CitationEngineError(f"pandoc failed (exit {completed.returncode}): {message}")
    answer = json.loads(completed.stdout)
    return [job_div["c"][1] for job_div in answer["blocks"]]


def make_job(style: CitationStyle, mode: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one engine job: `items` formatted in `style`, "each" on its own or as a "list"."""
    unused = _INERT_FIELDS - _style_variables(style.path)
    et_al_limit = _et_al_use_last(style.path)
    job = {
        "style": _style_for_pandoc(style.path),
        "lang": style.locale,
        "mode": mode,
        "items": [_compatible_item(item, drop=unused, et_al_limit=et_al_limit) for item in items],
    }
    if mode == "list":
        job["fast_style"] = _style_without_disambiguation(style.path)
    return job


# Bulky fields that change no output unless the style prints them; the engine's time grows
# with the data it is given (an abstract doubles it).
_INERT_FIELDS = frozenset({"abstract", "keyword"})
_DISAMBIGUATION = re.compile(r'disambiguate-add-(?:givenname|names|year-suffix)="true"')


@lru_cache(maxsize=64)
def _style_variables(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8")
    return frozenset(
        name for value in re.findall(r'variable="([^"]+)"', text) for name in value.split()
    )


# A <names> whose <label> comes without a <name> (Vancouver's and AMA's editors): CSL renders
# the names first, with the inherited name options, as an empty <name/> would; pandoc 3.9 puts
# the label first ("In, editorsSmith J" for "In: Smith J, editors"). Writing the <name/> out
# makes pandoc agree without changing the style's meaning.
_NAMES_ELEMENT = re.compile(r"(<names\b[^>]*[^/]>)(.*?)(</names>)", re.DOTALL)
_NAME_CHILD = re.compile(r"<name[\s/>]")


def _name_before_label(match: re.Match) -> str:
    opening, content, closing = match.groups()
    if _NAME_CHILD.search(content) or not content.lstrip().startswith("<label"):
        return match.group()
    return f"{opening}<name/>{content}{closing}"


def _pandoc_text(path: Path) -> str:
    return _NAMES_ELEMENT.sub(_name_before_label, path.read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def _style_for_pandoc(path: Path) -> str:
    """Return the path of the style as pandoc should read it (a derived copy if it differs)."""
    text = _pandoc_text(path)
    if text == path.read_text(encoding="utf-8"):
        return str(path)
    return _derived_style(path, text)


@lru_cache(maxsize=64)
def _style_without_disambiguation(path: Path) -> str | None:
    """Return a copy of the style with disambiguation off, or None if it adds no year suffix."""
    text = _pandoc_text(path)
    if 'disambiguate-add-year-suffix="true"' not in text:
        return None
    derived = _DISAMBIGUATION.sub(lambda match: match.group().replace("true", "false"), text)
    return _derived_style(path, derived)


def _derived_style(path: Path, derived: str) -> str:
    """Return the path of a temporary copy of the style with the `derived` text."""
    digest = hashlib.sha256(derived.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "catalogue-csl"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}-{digest}.csl"
    if not target.exists():
        # Written under a unique name, then renamed: concurrent writers never clash.
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".csl")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(derived)
        os.replace(temporary, target)
    return str(target)


# citeproc-js title-cases a word by upper-casing its first character, so a word that starts
# with a symbol ("#hashtag", "<script>") keeps its case; pandoc's citeproc upper-cases the first
# letter instead. Wrapping such words in nocase spans (before the engine sees them; stored and
# exported data are untouched) makes both agree. Words are split where citeproc-js splits them.
_CITEPROC_JS_WORD = re.compile(r"[^\s‘’“”\"'\-–—/.,;?!:\[\]()]+")


def _protect_symbol_words(text: str) -> str:
    out: list[str] = []
    spans: list[bool] = []  # open spans: True for nocase/nodecor
    position = 0
    for tag in RICH_TEXT_TAG.finditer(text):
        out.append(_protect_segment(text[position : tag.start()], protected=any(spans)))
        markup = tag.group()
        if markup.startswith("<span"):
            spans.append("no" in markup)
        elif markup == "</span>" and spans:
            spans.pop()
        out.append(markup)
        position = tag.end()
    out.append(_protect_segment(text[position:], protected=any(spans)))
    return "".join(out)


def _protect_segment(segment: str, *, protected: bool) -> str:
    if protected:
        return segment

    def wrap(match: re.Match) -> str:
        word = match.group()
        if not word[0].isalnum() and any(char.isalpha() for char in word):
            return f'<span class="nocase">{word}</span>'
        return word

    return _CITEPROC_JS_WORD.sub(wrap, segment)


_ET_AL_USE_LAST = re.compile(r"<bibliography\b[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
# Joins an open page range's dash to nothing, so that pandoc does not read "123–" as the range
# "123–123"; output.py removes it from what the engine writes.
WORD_JOINER = "\u2060"
_OPEN_RANGE = re.compile(r"[-\u2013]\s*$")
_OTHERS = {"literal": "others"}


@lru_cache(maxsize=64)
def _et_al_use_last(path: Path) -> tuple[int, int] | None:
    """Return (et-al-min, et-al-use-first) of a bibliography with et-al-use-last, else None."""
    match = _ET_AL_USE_LAST.search(path.read_text(encoding="utf-8"))
    attributes = dict(_ATTRIBUTE.findall(match.group())) if match else {}
    if attributes.get("et-al-use-last") != "true":
        return None
    try:
        return int(attributes["et-al-min"]), int(attributes["et-al-use-first"])
    except (KeyError, ValueError):
        return None


def _compatible_item(
    item: dict[str, Any],
    *,
    drop: frozenset[str] = frozenset(),
    et_al_limit: tuple[int, int] | None = None,
) -> dict[str, Any]:
    compatible = {key: value for key, value in item.items() if key not in drop}
    for key, value in compatible.items():
        if key.endswith(("title", "title-short")) and isinstance(value, str):
            compatible[key] = _protect_symbol_words(value)
    authors = compatible.get("author")
    if et_al_limit and authors and authors[-1] == _OTHERS and len(authors) >= et_al_limit[0]:
        # An incomplete list long enough for "first names … last name" (APA's 21+) has no
        # last name to print: the first names and "et al." instead (pandoc would print
        # "…, et al.others").
        compatible["author"] = [*authors[: et_al_limit[1]], _OTHERS]
    issued = compatible.get("issued")
    if isinstance(issued, dict) and "literal" in issued and "date-parts" in issued:
        # pandoc prints "n.d." for a date with a literal: the year it was read as instead.
        compatible["issued"] = {"date-parts": issued["date-parts"]}
    page = compatible.get("page")
    if isinstance(page, str) and _OPEN_RANGE.search(page):
        compatible["page"] = page.rstrip() + WORD_JOINER
    return compatible
