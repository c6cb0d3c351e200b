"""Pages as printed: ranges written with an en dash, and the plain numbers they may hold.

Pure (no Django): the BibTeX parser, the importer, the model and the formats share it. The
printed form is what a record stores and shows ("052102", "E3313–E3322", "xii–xv", "123–");
numbers are derived from it only when both ends are plain decimal numbers.
"""

from __future__ import annotations

import re

EN_DASH = "\u2013"
# One range separator: BibTeX's "--" (or "---"), a hyphen, an en or em dash, a minus sign.
_SEPARATOR = re.compile(r"\s*(?:-{1,3}|[\u2010-\u2015\u2212])\s*")
_PLAIN = re.compile(r"[0-9]+")
_MAX_INT = 2_147_483_647


def printed_pages(value: str) -> str:
    """Return pages as printed with each range's separator an en dash ("311--325" → "311–325").

    Lists ("1, 5--7") keep their commas; an open range ("123--") stays open ("123–"); a value
    with several dashes in one part ("S-12-S-15") is kept as it is, since which dash is the
    range cannot be told.
    """
    value = " ".join((value or "").split())
    parts = [part.strip() for part in value.split(",")]
    out = []
    for part in parts:
        pieces = _SEPARATOR.split(part)
        if len(pieces) == 2:
            part = f"{pieces[0]}{EN_DASH}{pieces[1]}"
        out.append(part)
    return ", ".join(part for part in out if part)


def page_numbers(pages: str) -> tuple[int | None, int | None]:
    """Return (first, last) when the printed pages are a plain number or plain range, else Nones.

    "311–325" → (311, 325); "52" → (52, 52); "052102", "E3313–E3322", "xii", "123–",
    "1, 5–7" and a range that runs backwards ("325–311") → (None, None); an abbreviated
    range counts in full ("1198–201" → (1198, 1201)). A leading zero is kept in print, so
    "052102" is a page identifier, not the number 52102.
    """
    pieces = _SEPARATOR.split((pages or "").strip())
    if not 1 <= len(pieces) <= 2 or not all(_PLAIN.fullmatch(piece) for piece in pieces):
        return None, None
    if any(len(piece) > 1 and piece.startswith("0") for piece in pieces):
        return None, None
    first, last = int(pieces[0]), int(pieces[-1])
    if last < first and len(pieces[-1]) < len(pieces[0]):
        # An abbreviated range, as PubMed and many journals print it: "1198–201" is 1198-1201.
        last = int(pieces[0][: len(pieces[0]) - len(pieces[-1])] + pieces[-1])
    if not 0 < first <= last <= _MAX_INT:
        return None, None
    return first, last


def page_count(pages: str) -> int | None:
    """Return the number of pages of a plain range ("311–325" → 15), else None."""
    first, last = page_numbers(pages)
    return None if first is None else last - first + 1


def split_range(pages: str) -> tuple[str, str]:
    """Return the printed first and last page of a single range ("E3313–E3322"), else (pages, "").

    RIS SP/EP and CSL `page-first` take the two ends as printed.
    """
    if "," in pages:
        return pages, ""
    pieces = _SEPARATOR.split(pages.strip())
    if len(pieces) == 2:
        return pieces[0], pieces[1]
    return pages.strip(), ""
