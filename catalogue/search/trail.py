"""A result list's trail on a record link: which list the record was opened from, and where.

A result's link carries the list page's path and query (without its page number) and the
record's 1-based position in the whole result list, so the record page can link back to the
right page of results and to the previous and next records::

    /articles/42/?back=/search/?q=heart%2Bfailure%26sort=newest&pos=27

Everything the trail says is untrusted: `parse_trail` returns None for anything that is not
a local list page path (no scheme, no host, no "//" or backslash that a browser would read as
another host) or a position that is not a plain number, and the record page then shows no
trail at all rather than an error (a stale or hand-edited link still shows the record).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from django.http import QueryDict

from catalogue.search.params import MAX_PAGE, plain_int

# The record link's parameters.
BACK = "back"
POSITION = "pos"
# The list page's parameters that only say which slice of the list is shown.
PAGE = "page"
# A list page's path and query longer than this is no link the catalogue made (a search of
# several facets is a few hundred characters); refusing it keeps the URL and the work bounded.
MAX_BACK_LENGTH = 2000
# Characters left as they are in the `back` value: legal in a query string and meaning nothing
# there, so the common trail stays readable ("/search/?q=x") instead of "%2Fsearch%2F%3Fq%3Dx".
# "&", "+", "%" and "#" are quoted: they would end the value, turn into a space, or end the URL.
_SAFE_IN_VALUE = "/?=:,@!$'()*;"
# The highest position a trail names: no result list is deeper (MAX_PAGE pages of at most a
# thousand results), and a bigger number is hand-made.
MAX_POSITION = MAX_PAGE * 1000


@dataclass(frozen=True)
class Trail:
    """A record's place in a result list: the list page (path and query, no page) and the
    1-based position of the record in the whole list."""

    back: str
    position: int

    def page_url(self, page: int) -> str:
        """Return the list page's URL at page `page` (the first page has no page parameter)."""
        if page <= 1:
            return self.back
        separator = "&" if "?" in self.back else "?"
        return f"{self.back}{separator}{PAGE}={page}"

    def link(self, url: str, position: int) -> str:
        """Return `url` (another record) with this trail at `position`."""
        return result_link(url, back=self.back, position=position)

    @property
    def query(self) -> str:
        """Return the trail as query parameters, "back=...&pos=N": what a link from the
        record page to itself (a Cite box style) appends to keep it."""
        return f"{BACK}={_encoded_back(self.back)}&{POSITION}={self.position}"


def without_page(path_and_query: str) -> str:
    """Return a local path and query with its `page` parameter dropped (the rest kept in order)."""
    path, _, query = path_and_query.partition("?")
    if not query:
        return path
    pairs = [
        (name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name != PAGE
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


@lru_cache(maxsize=256)
def _encoded_back(back: str) -> str:
    # A results page links twenty records with the same `back`: quote it once.
    return quote(without_page(back), safe=_SAFE_IN_VALUE)


def result_link(url: str, *, back: str, position: int) -> str:
    """Return a record link `url` with the result list's trail: `back` (the list page's path
    and query; its page parameter is dropped) and the record's 1-based `position` in the list."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}{Trail(back=back, position=int(position)).query}"


def is_local_path(text: str) -> bool:
    """Return whether `text` is a path on this site (with an optional query): it starts with
    one "/", has no scheme, host, fragment, backslash or control character."""
    if not text.startswith("/") or text.startswith("//") or len(text) > MAX_BACK_LENGTH:
        return False
    # Browsers read "/\evil.example" as "//evil.example"; tabs and newlines are dropped by
    # them before parsing ("/\t/evil.example"); a fragment is never part of a list's state.
    if any(char == "\\" or char == "#" or ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")


def parse_trail(data: QueryDict) -> Trail | None:
    """Return the trail in a record page's query (`back` and `pos`), or None when there is
    none or it is not a local list path with a plain position from 1 to MAX_POSITION."""
    back = data.get(BACK, "")
    position = plain_int(data.get(POSITION, ""))
    if not back or position is None or not 1 <= position <= MAX_POSITION:
        return None
    if not is_local_path(back):
        return None
    return Trail(back=without_page(back), position=position)
