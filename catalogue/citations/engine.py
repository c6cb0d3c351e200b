"""The citation engine: citeproc-js 2.4.63 (the CSL processor of Zotero and Mendeley) in V8.

citeproc-js runs embedded through the PyPI package mini-racer (V8 as a library: no Node.js at
run time). Each worker process holds one V8 context with citeproc-js and every CSL locale loaded
(about 0.1 s, on first use), and builds one engine per (style, locale) when first asked for it,
keeping the `CITATION_ENGINES_MAX` most recently used (0.01-1 s to build, a few MB each). Calls
are serialised by a lock: V8 runs one call at a time per context.

Items are made to read as the catalogue means them before the engine sees them: the only
change is an incomplete author list (BibTeX's `and others`, CSL-JSON's final
`{"literal": "others"}`), which citeproc-js would print as a person called "others" (see
`mark_et_al`).
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import hashlib
import html
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from catalogue import conf
from catalogue.citations.styles import CSL_DIR, CitationStyle, locale_files, style_locale

CITEPROC_JS = CSL_DIR / "citeproc" / "citeproc.js"
BRIDGE_JS = CSL_DIR / "bridge.js"
CITEPROC_VERSION = "2.4.63"
# Bump when the output of this package changes for the same input, to retire cached renderings.
RENDERER_VERSION = "5"
FORMATS = ("text", "html")


class CitationEngineError(RuntimeError):
    """The citation engine is missing, failed or timed out."""


class StyleError(CitationEngineError):
    """A style the engine cannot build or render with; other styles keep working."""

    def __init__(self, style: CitationStyle, message: str) -> None:
        self.style = style
        super().__init__(f"The citation style {style.id!r} cannot be used: {message}")


def citeproc_path() -> Path:
    """Return the citeproc-js file the engine loads (CITATION_CITEPROC_JS or the vendored one)."""
    configured = conf.get("CITATION_CITEPROC_JS")
    return Path(configured) if configured else CITEPROC_JS


@lru_cache(maxsize=512)
def _file_digest(path: str, mtime: float, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _digest(path: Path) -> str:
    stat = path.stat()
    return _file_digest(str(path), stat.st_mtime, stat.st_size)


def fingerprint(style: CitationStyle, locale: str | None = None) -> str:
    """Return a short digest of what determines the output: renderer, engine, style, locale."""
    parts = [RENDERER_VERSION, CITEPROC_VERSION, style.id, style_locale(style, locale)]
    parts.append(str(bool(locale)))
    for path in (style.path, citeproc_path()):
        try:
            parts.append(_digest(path))
        except OSError:
            parts.append(str(path))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _timeout(item_count: int) -> float:
    return conf.get("CITATION_TIMEOUT") + item_count * 0.05


class Runtime:
    """One V8 context with citeproc-js, the locales, and a bounded set of built engines."""

    def __init__(self, script: Path) -> None:
        try:
            from py_mini_racer import MiniRacer, init_mini_racer
        except ImportError as error:  # pragma: no cover - a dependency of the project
            raise CitationEngineError(f"mini-racer is not installed: {error}") from error
        # V8 once per process. Its default flags here, not mini-racer's "--single-threaded":
        # with background compilation and GC a 1,000-entry APA list takes ~1.4 s instead of
        # ~2.1 s, for less CPU in all (docs/performance.md).
        init_mini_racer(flags=conf.get("CITATION_V8_FLAGS").split(), ignore_duplicate_init=True)
        try:
            source = script.read_text(encoding="utf-8")
        except OSError as error:
            raise CitationEngineError(f"citeproc-js could not be loaded: {error}") from error
        self.script = script
        self.pid = os.getpid()
        if _in_running_loop():
            # mini-racer binds a context to the asyncio loop running where it is made and
            # delivers its results through it: made here, every call would wait on a loop
            # that is blocked waiting for the call. Made in a thread without a loop, the
            # context runs a loop thread of its own.
            with ThreadPoolExecutor(max_workers=1) as pool:
                self.context = pool.submit(MiniRacer).result()
        else:
            self.context = MiniRacer()
        # Past this, V8 stops the running call (a JSOOMException) instead of aborting the
        # whole process as its own heap limit does.
        self.context.set_hard_memory_limit(conf.get("CITATION_V8_HEAP_LIMIT_MB") * 2**20)
        self.engines: OrderedDict[str, bool] = OrderedDict()
        self.renders = 0
        # Engines whose HTML once needed the text formatted too (TEXT_DIFFERS): both at once.
        self.text_formatted: set[str] = set()
        try:
            self.context.eval("var module = {exports: {}}; var exports = module.exports;")
            self.context.eval(source)
            self.context.eval("var CSL = module.exports;")
            self.context.eval(BRIDGE_JS.read_text(encoding="utf-8"))
            locales = {
                tag: path.read_text(encoding="utf-8") for tag, path in locale_files().items()
            }
            self.context.call("addLocales", json.dumps(locales, ensure_ascii=False))
        except Exception as error:
            raise CitationEngineError(f"citeproc-js could not be loaded: {error}") from error

    def close(self) -> None:
        """Free the V8 context (left to the garbage collector at interpreter exit, V8 hangs)."""
        if self.pid == os.getpid():
            self.context.close()

    def abandon(self) -> None:
        """Never free the V8 context: the process is exiting and its memory goes anyway."""
        # Freed at exit, a context that formatted citations in another thread (a threaded
        # server's request thread, as in the browser tests) crashes V8 inside
        # mr_free_context; left to the garbage collector, freeing it hangs (mini-racer
        # 0.14.1 joins its event loop thread during finalisation). So the context manager
        # that would free it is kept alive for ever: one extra reference, never released.
        maker = self.context._own_context_maker
        self.context._own_context_maker = None
        if maker is not None:
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(maker))

    def heap_used(self) -> int:
        """Return the bytes of V8 heap in use."""
        return int(self.context.heap_stats()["used_heap_size"])

    def _make_room(self, keep: str) -> None:
        """Drop least recently used engines past CITATION_ENGINES_MAX, or while the heap is
        over CITATION_ENGINES_HEAP_MB (engines weigh 0.1-75 MB: a count alone is no bound)."""
        most = max(1, conf.get("CITATION_ENGINES_MAX"))
        heap_limit = conf.get("CITATION_ENGINES_HEAP_MB") * 2**20
        dropped = False
        while len(self.engines) > most:
            self._drop(next(iter(self.engines)))
            dropped = True
        while len(self.engines) > 1 and self.heap_used() > heap_limit:
            oldest = next(key for key in self.engines if key != keep)
            self._drop(oldest)
            # Only a full collection gives the dropped engine's memory back.
            self.context.low_memory_notification()
            dropped = True
        if dropped:
            self.context.low_memory_notification()

    def _drop(self, key: str) -> None:
        del self.engines[key]
        self._call("dropEngine", key)

    def _call(self, function: str, *args: Any, items: int = 0) -> Any:
        call = partial(self.context.call, function, *args, timeout_sec=_timeout(items))
        if _in_running_loop():
            # mini-racer refuses a timeout in a thread running an asyncio loop (an async
            # view, Playwright's sync API): the call runs in a thread of its own instead.
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(call).result()
        return call()

    def engine(self, style: CitationStyle, locale: str | None) -> str:
        """Return the key of a built engine for the style and locale, building it if needed."""
        lang = style_locale(style, locale)
        key = f"{style.id}|{lang}|{int(bool(locale))}|{_digest(style.path)}"
        if key in self.engines:
            self.engines.move_to_end(key)
            return key
        try:
            xml = style.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise StyleError(style, f"its file cannot be read ({error}).") from error
        try:
            self._call("buildEngine", key, xml, lang, bool(locale))
        except Exception as error:
            raise StyleError(style, _message(error)) from error
        self.engines[key] = True
        self._make_room(keep=key)
        return key

    def format_each(
        self, style: CitationStyle, locale: str | None, items: list[dict[str, Any]]
    ) -> list[dict[str, tuple[str | None, str]]]:
        """Return each item formatted on its own: {fmt: (entry or None, citation)}.

        The engine formats HTML; the text is the HTML's own text (`text_of_html`) where that
        is what citeproc-js's text format gives, else formatted too (see TEXT_DIFFERS).
        """
        key = self.engine(style, locale)
        self.renders += 1
        # A style whose HTML needed its text formatted once (numeric labels...) gets both at once.
        formats = list(FORMATS) if key in self.text_formatted else ["html"]
        try:
            answer = self._call("formatEach", key, formats, _json(items), items=len(items))
            results = [
                {fmt: tuple(pair) for fmt, pair in result.items()} for result in json.loads(answer)
            ]
            differs = [
                index
                for index, result in enumerate(results)
                if "text" not in result
                and any(TEXT_DIFFERS.search(part or "") for part in result["html"])
            ]
            if differs:
                self.text_formatted.add(key)
                again = [items[index] for index in differs]
                answer = self._call("formatEach", key, ["text"], _json(again), items=len(again))
                for index, result in zip(differs, json.loads(answer), strict=True):
                    results[index]["text"] = tuple(result["text"])
        except Exception as error:
            raise StyleError(style, _message(error)) from error
        for result in results:
            if "text" not in result:
                entry, citation = result["html"]
                result["text"] = (text_of_html(entry), text_of_html(citation))
        return results

    def format_list(
        self, style: CitationStyle, locale: str | None, items: list[dict[str, Any]], fmt: str
    ) -> tuple[dict[str, Any], list[str], list[str]] | None:
        """Return the items as one reference list: (params, entries, item ids in list order)."""
        key = self.engine(style, locale)
        self.renders += 1
        try:
            answer = self._call("formatList", key, fmt, _json(items), items=len(items))
        except Exception as error:
            raise StyleError(style, _message(error)) from error
        result = json.loads(answer)
        return None if result is None else (result[0], result[1], [str(i) for i in result[2]])


# HTML whose text is not what citeproc-js's text format writes: superscripts and subscripts
# (the text format writes Unicode ones, "nᵒ"), a numeric label beside the entry (spaced by the
# style), display blocks, line breaks,
# and a no-break space before a space (the HTML's form of two spaces).
TEXT_DIFFERS = re.compile(r"<su[pb]>|vertical-align:su|baseline-shift|csl-left-margin|"
                          r"csl-right-inline|csl-block|csl-indent|csl-bib-body|<br|"
                          "\xa0 |&#160; ")  # fmt: skip
_TAG = re.compile(r"<[^>]*>?")


def text_of_html(fragment: str | None) -> str | None:
    """Return the text of citeproc-js HTML (tags dropped, entities decoded), as its text format
    writes it for HTML without TEXT_DIFFERS (the six core styles' entries and citations of 432
    records, tests/test_citations.py); None stays None."""
    if fragment is None:
        return None
    return html.unescape(_TAG.sub("", fragment))


def _json(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, ensure_ascii=False)


def _message(error: Exception) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else type(error).__name__
    if "timeout" in type(error).__name__.lower() or "Timeout" in first:
        return "the engine took too long."
    return first[:300]


_lock = threading.RLock()
_runtime: Runtime | None = None


def runtime() -> Runtime:
    """Return this process's engine runtime, loading citeproc-js on first use."""
    global _runtime
    script = citeproc_path()
    if _runtime is None or _runtime.pid != os.getpid() or _runtime.script != script:
        # A forked worker cannot use its parent's V8 threads: each process loads its own.
        previous, _runtime = _runtime, Runtime(script)
        if previous is not None:
            previous.close()
    return _runtime


def reset() -> None:
    """Forget this process's runtime (and its engines); the next call loads a fresh one."""
    global _runtime
    with _lock:
        previous, _runtime = _runtime, None
        if previous is not None:
            previous.close()


def _abandon_at_exit() -> None:
    global _runtime
    # Not under _lock: a daemon thread stopped in the middle of a call may hold it.
    runtime, _runtime = _runtime, None
    if runtime is not None and runtime.pid == os.getpid():
        runtime.abandon()


# Disarmed while the interpreter still runs: see Runtime.abandon.
atexit.register(_abandon_at_exit)


def render_count() -> int:
    """Return how many formatting calls this process's runtime has run (0 before it loads)."""
    return _runtime.renders if _runtime is not None else 0


def format_each(
    style: CitationStyle, locale: str | None, items: list[dict[str, Any]]
) -> list[dict[str, tuple[str | None, str]]]:
    """Return each item formatted on its own in text and HTML (see Runtime.format_each)."""
    if not items:
        return []
    prepared = [engine_item(for_style(style, item)) for item in items]
    with _lock:
        return _guarded(lambda current: current.format_each(style, locale, prepared))


def format_list(
    style: CitationStyle, locale: str | None, items: list[dict[str, Any]], fmt: str
) -> tuple[dict[str, Any], list[str], list[str]] | None:
    """Return the items as one reference list (see Runtime.format_list)."""
    prepared = [engine_item(for_style(style, item)) for item in items]
    with _lock:
        return _guarded(lambda current: current.format_list(style, locale, prepared, fmt))


def _guarded(work: Callable[[Runtime], Any]) -> Any:
    """Return work(runtime); a call that hit V8's memory limit discards the runtime."""
    current = runtime()
    try:
        return work(current)
    except CitationEngineError:
        if current.context.was_hard_memory_limit_reached():
            # The heap is left full: the next call starts a fresh runtime.
            reset()
            raise CitationEngineError(
                "Formatting needed more memory than the citation engine may use "
                "(CITATION_V8_HEAP_LIMIT_MB)."
            ) from None
        raise


# A small item that takes every common path of a style once (names, date, title, container,
# pages, DOI), so that V8 has compiled citeproc-js's code before a reader's first request.
_WARM_ITEM = {
    "id": "warm",
    "type": "article-journal",
    "title": "Warming the engine",
    "container-title": "Journal",
    "author": [{"family": "Smith", "given": "Ann"}, {"family": "Lee", "given": "Bo"}],
    "issued": {"date-parts": [[2020, 5]]},
    "volume": "1",
    "issue": "2",
    "page": "3-9",
    "DOI": "10.1000/warm",
}


def warm(styles: list[CitationStyle] | None = None) -> float:
    """Build the styles' engines (the core ones by default) and run each once; return seconds.

    A worker that calls this as it starts (gunicorn.conf.py) answers its first Cite box in
    milliseconds instead of building six engines then (about 2 s).
    """
    from catalogue.citations.styles import available_styles

    started = time.perf_counter()
    for style in styles if styles is not None else list(available_styles().values()):
        try:
            format_each(style, None, [_WARM_ITEM])
        except CitationEngineError:
            # A style that cannot be built says so when a reader asks for it.
            continue
    return time.perf_counter() - started


# --- Items as the engine reads them --------------------------------------------------------

# A person with no name the engine could mistake for a real one; output.py turns it and the
# delimiter before it into the locale's "et al.".
ET_AL_MARK = "\ue000"
_OTHERS = {"literal": "others"}


def engine_item(item: dict[str, Any]) -> dict[str, Any]:
    """Return the CSL-JSON item as the engine should read it (an `and others` marked)."""
    issued = item.get("issued")
    if isinstance(issued, dict) and issued.get("literal") and "date-parts" in issued:
        # A date as written ("1978/79", "300 BC"): citeproc-js would print the literal and
        # then the year it was read as; the literal alone is what the source says.
        item = {**item, "issued": {"literal": issued["literal"]}}
    authors = item.get("author")
    if not authors or authors[-1] != _OTHERS:
        return item
    named = authors[:-1]
    if not named:
        return {**item, "author": []}
    return {**item, "author": [*named, {"family": ET_AL_MARK}]}


_ET_AL_USE_LAST = re.compile(r"<bibliography\b[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


@lru_cache(maxsize=256)
def et_al_use_last(path: Path) -> tuple[int, int] | None:
    """Return (et-al-min, et-al-use-first) of a bibliography with et-al-use-last, else None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    match = _ET_AL_USE_LAST.search(text)
    attributes = dict(_ATTRIBUTE.findall(match.group())) if match else {}
    if attributes.get("et-al-use-last") != "true":
        return None
    try:
        return int(attributes["et-al-min"]), int(attributes["et-al-use-first"])
    except (KeyError, ValueError):
        return None


# Bulky fields that change no output unless the style prints them; the engine's time grows
# with the data it is given.
_INERT_FIELDS = frozenset({"abstract", "keyword"})


@lru_cache(maxsize=256)
def _style_variables(path: Path) -> frozenset[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(
        name for value in re.findall(r'variable="([^"]+)"', text) for name in value.split()
    )


def for_style(style: CitationStyle, item: dict[str, Any]) -> dict[str, Any]:
    """Return the item without fields the style never prints, an `and others` list cut."""
    unused = _INERT_FIELDS - _style_variables(style.path)
    if unused & item.keys():
        item = {key: value for key, value in item.items() if key not in unused}
    limit = et_al_use_last(style.path)
    authors = item.get("author")
    if limit and authors and authors[-1] == _OTHERS and len(authors) >= limit[0]:
        # An incomplete list long enough for "first names … last name" (APA's 21+) has no
        # last name to print: the first names and "et al." instead.
        return {**item, "author": [*authors[: limit[1]], _OTHERS]}
    return item
