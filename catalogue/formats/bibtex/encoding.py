"""Bytes to text for BibTeX files: BOMs, BOM-less UTF-16, JabRef headers, legacy encodings."""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes


class BibTeXError(ValueError):
    """The input cannot be read as BibTeX at all (binary data, not text)."""


# Signatures of files people upload by mistake instead of a .bib.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "it is a PNG image"),
    (b"\xff\xd8\xff", "it is a JPEG image"),
    (b"GIF87a", "it is a GIF image"),
    (b"GIF89a", "it is a GIF image"),
    (b"%PDF-", "it is a PDF document"),
    (b"PK\x03\x04", "it is a ZIP archive (or a Word/Excel/OpenDocument file)"),
    (b"\x1f\x8b", "it is a gzip-compressed file"),
    (b"\xfd7zXZ\x00", "it is an xz-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "it is a 7-Zip archive"),
    (b"Rar!\x1a\x07", "it is a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "it is an old Microsoft Office document"),
    (b"SQLite format 3\x00", "it is an SQLite database"),
    (b"\x7fELF", "it is an executable program"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_JABREF_HEADER = re.compile(rb"^%\s*Encoding\s*:\s*([A-Za-z0-9_.:-]+)", re.MULTILINE)
# An Emacs file-variable line (`-*- mode: bibtex; coding: latin-2 -*-`) and TeXShop/TeXstudio's
# `% !TeX encoding = ISO-8859-1` declare the encoding the same way.
_EMACS_HEADER = re.compile(rb"-\*-.*?\bcoding\s*:\s*([A-Za-z0-9_.:-]+).*?-\*-")
_TEX_HEADER = re.compile(rb"^%\s*!\s*TeX\s+encoding\s*=\s*([A-Za-z0-9_.:-]+)", re.I | re.M)
# Emacs names Python does not know: `latin-2`, `iso-latin-1`, and end-of-line suffixes.
_EMACS_NAME = re.compile(r"\A(?:iso-)?latin-(\d+)\Z")
_EMACS_EOL = re.compile(r"-(?:unix|dos|mac)\Z")
# Control characters that never occur in text files (tab, newlines and form feed do).
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffe\uffff]")
_MAX_CONTROL_SHARE = 0.001
_CANDIDATES = 6
_SAMPLE = 200_000
_PREFERRED = [
    codecs.lookup(name).name
    for name in (
        "utf-8",
        "cp1252",
        "gb18030",
        "big5",
        "shift_jis",
        "cp932",
        "euc_jp",
        "cp949",
        "euc_kr",
        "cp1251",
        "koi8_r",
        "cp1250",
        "iso8859_15",
        "iso8859_2",
        "latin_1",
        "mac_roman",
    )
]


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return `data` decoded to text and the encoding used; raise BibTeXError for binary data."""
    text, encoding, _warnings = decode_bytes_with_warnings(data)
    return text, encoding


def decode_bytes_with_warnings(data: bytes) -> tuple[str, str, list[tuple[int, str]]]:
    """Return the text, the encoding and (line, message) warnings about the encoding header.

    A header naming an encoding Python does not know, or one the bytes are not in, is
    not followed: the encoding is detected instead and a warning says so.
    """
    if not data:
        return "", "utf-8", []
    for signature, description in _SIGNATURES:
        if data.startswith(signature):
            raise BibTeXError(f"This file does not look like a BibTeX file: {description}.")
    warnings: list[tuple[int, str]] = []
    text, encoding = _decode(data, warnings)
    check_text(text)
    return text, encoding, warnings


def check_text(text: str) -> None:
    """Raise BibTeXError if `text` holds binary data (NUL bytes, many control characters)."""
    match = _CONTROL.search(text)
    if match is None:
        return
    controls = len(_CONTROL.findall(text))
    if "\x00" in text or controls > max(2, len(text) * _MAX_CONTROL_SHARE):
        raise BibTeXError(
            "This file does not look like a BibTeX file: it contains binary data "
            f"({controls:,} control characters, the first at character {match.start() + 1:,})."
        )


def _decode(data: bytes, warnings: list[tuple[int, str]]) -> tuple[str, str]:
    """Return the text and encoding name, trying BOM, UTF-16 pattern, header, UTF-8, detection."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data if encoding == "utf-8-sig" else data[len(bom) :]
            try:
                return body.decode(encoding), encoding
            except UnicodeDecodeError:
                if encoding != "utf-8-sig":
                    return body.decode(encoding, errors="replace"), encoding
                return _detect(data[len(bom) :])
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    try:
        # Valid UTF-8 with non-ASCII bytes is practically never another encoding, even
        # when a JabRef header says otherwise (files get re-saved by other tools).
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    head = data[:4096]
    header = _JABREF_HEADER.search(head) or _TEX_HEADER.search(head)
    if header is None:
        # Emacs reads file variables from the first line only (the second after `#!`).
        header = _EMACS_HEADER.search(b"\n".join(head.split(b"\n", 2)[:2]))
    if header:
        written = header.group(1).decode("ascii")
        line = head.count(b"\n", 0, header.start()) + 1
        declared = _codec_name(written)
        if declared:
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError as error:
                reason = (
                    f"the file is not in `{written}` (byte {error.start + 1:,} does not fit it)"
                )
        else:
            reason = f"`{written}` is not an encoding the catalogue knows"
        text, detected = _detect(data)
        warnings.append(
            (
                line,
                f"The encoding header on line {line} was not followed: {reason}; "
                f"the file was read as {detected}, detected from its bytes "
                "(check its accented letters).",
            )
        )
        return text, detected
    return _detect(data)


def _utf16_without_bom(data: bytes) -> str:
    """Return "utf-16-le"/"utf-16-be" when NUL bytes alternate like ASCII in UTF-16, else ""."""
    sample = data[:8192]
    half = len(sample) // 2
    if half < 2:
        return ""
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
        return "utf-16-le"
    if even_nuls > half * 0.3 and odd_nuls < half * 0.05:
        return "utf-16-be"
    return ""


def _codec_name(name: str) -> str:
    """Return Python's canonical codec name for `name` (Emacs names too), or "" if unknown."""
    name = _EMACS_EOL.sub("", name.lower())
    name = _EMACS_NAME.sub(r"latin\1", name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return ""


def _detect(data: bytes) -> tuple[str, str]:
    """Return the text decoded with the most plausible legacy encoding (charset-normalizer).

    charset-normalizer ranks by "chaos", which is unreliable on short files; among its
    best candidates, prefer common encodings, then the one whose words do not mix
    scripts (GBK read as Korean mixes Hangul and Han within a word), then the more
    common encoding (cp1252 over cp1250 when both give the same text).
    """
    if b"\x00" in data:
        raise BibTeXError(
            "This file does not look like a BibTeX file: it contains binary data (NUL bytes)."
        )
    matches = list(from_bytes(data))[:_CANDIDATES]
    if not matches:
        raise BibTeXError(
            "This file does not look like a BibTeX file: its bytes are not text "
            "in any known encoding."
        )
    best_score: tuple[bool, int, float, int] | None = None
    best_encoding = ""
    for match in matches:
        encodings = [match.encoding, *match.could_be_from_charset]
        encoding = min(encodings, key=_preference)
        sample = data[:_SAMPLE].decode(encoding, errors="ignore")
        preference = _preference(encoding)
        score = (
            preference == len(_PREFERRED),
            _script_switches(sample),
            round(match.chaos, 1),
            preference,
        )
        if best_score is None or score < best_score:
            best_score, best_encoding = score, encoding
    return data.decode(best_encoding, errors="replace"), _codec_name(best_encoding) or best_encoding


def _preference(encoding: str) -> int:
    """Return the rank of an encoding among the common ones (lower is more common)."""
    name = _codec_name(encoding)
    return _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)


def _script_switches(text: str) -> int:
    """Return how often adjacent non-ASCII letters change script (a sign of mis-decoding)."""
    switches = 0
    previous = ""
    for char in text:
        if char < "\x80" or not char.isalpha():
            previous = ""
            continue
        script = _script(char)
        if previous and script != previous:
            switches += 1
        previous = script
    return switches


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    script = name.split(" ", 1)[0]
    # Japanese mixes kanji and kana within words.
    return "CJK" if script in ("HIRAGANA", "KATAKANA") else script
