"""Property-based fuzzing of the BibTeX parser and of the import preview a web upload runs.

Issue 16.

Hypothesis generates BibTeX-ish text (random entry types, keys and fields; braces and quotes
nested or left open; `@string` macros and `#` concatenation, doubling macros among them;
`@comment`, `@preamble`; LaTeX commands and accents; truncation at random points; deep
nesting), random bytes in random encodings, and fully random text. For every input:

- `parse_bytes` / `parse_text` return a ParseResult or raise `BibTeXError`, nothing else;
- every `@type{` entry counted in the source is an Entry or a located error (line >= 1);
- no field value is longer than the limit the parser was given, after macro expansion;
- each input is parsed within the per-example deadline;
- `parse_source` and `plan_import` (what the import page runs on an upload) raise only
  `ImportFileError`;
- a record written by the BibTeX writer parses back to the same fields.

The budget is a Hypothesis profile registered here (`load_fuzz_profile`, also used by
tests/test_fuzz_params.py): "ci" (derandomized, fixed number of examples; the default when
CI is set), "dev" (the same number, random; the default elsewhere) and "long"
(HYPOTHESIS_PROFILE=long, for a longer local run). docs/testing.md, "Fuzzing".
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from catalogue import importer
from catalogue.formats.bibtex import BibTeXError, Name, ParseResult, parse_bytes, parse_text
from catalogue.models import OnDuplicate, OutputType

# --- The budget -------------------------------------------------------------------------------

FUZZ_PROFILES = {
    # CI: the same examples on every run, no example database, a fixed number per test.
    "ci": {"max_examples": 60, "derandomize": True, "database": None, "print_blob": True},
    # A developer's run: the same budget, fresh random examples, failures remembered (in
    # .pytest_cache/, which git ignores).
    "dev": {
        "max_examples": 60,
        "database": DirectoryBasedExampleDatabase(".pytest_cache/hypothesis"),
    },
    # HYPOTHESIS_PROFILE=long: ~30x the examples, to hunt before a release.
    "long": {
        "max_examples": 2000,
        "database": DirectoryBasedExampleDatabase(".pytest_cache/hypothesis"),
    },
}


def load_fuzz_profile() -> str:
    """Register the fuzz profiles and load HYPOTHESIS_PROFILE, else "ci" under CI, else "dev"."""
    for name, options in FUZZ_PROFILES.items():
        settings.register_profile(name, **options)
    name = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    settings.load_profile(name)
    return name


load_fuzz_profile()

# A parse of any input here (at most a few tens of kB) finishes within this, on 2 cores.
PARSE_DEADLINE = timedelta(seconds=2)
# The limits the parser is given in these tests: small, so that generated macros exceed them.
FIELD_LIMIT = 2_000
NESTING_LIMIT = 50

# --- Strategies -------------------------------------------------------------------------------

ENTRY_TYPES = (
    "article",
    "book",
    "inproceedings",
    "incollection",
    "phdthesis",
    "mastersthesis",
    "techreport",
    "misc",
    "unpublished",
    "online",
    "dataset",
    "ARTICLE",
    "Book",
    "",
    "weird_type",
)
FIELD_NAMES = (
    "title",
    "author",
    "editor",
    "journal",
    "booktitle",
    "year",
    "month",
    "date",
    "volume",
    "number",
    "pages",
    "doi",
    "url",
    "issn",
    "isbn",
    "keywords",
    "abstract",
    "note",
    "publisher",
    "address",
    "crossref",
    "eprint",
    "archiveprefix",
    "language",
    "translator",
    "urldate",
    "pubstate",
    "x-unknown",
)
LATEX = (
    r"\'e",
    r"\"o",
    r"\`a",
    r"\^i",
    r"\~n",
    r"\c{c}",
    r"\v{s}",
    r"\u{g}",
    r"\H{o}",
    r"\ss",
    r"\o",
    r"\AA",
    r"{\'\i}",
    r"\textit{x}",
    r"\emph{y}",
    r"{\em z}",
    r"\textbf{b}",
    r"\textsuperscript{2}",
    r"$\alpha$",
    r"$x^{2}_{i}$",
    r"\&",
    r"\%",
    r"\$",
    r"\_",
    r"--",
    "---",
    "~",
    r"\\",
    r"\unknowncommand{q}",
    r"\url{http://x}",
    "\\",
    "{",
    "}",
    '"',
    "#",
    "@",
    ",",
    "=",
    "%",
)
MACRO_NAMES = ("jan", "feb", "dec", "acm", "ieee", "m0", "m1", "m2", "undefined_macro")
# Characters a hostile file might hold: controls, NUL, bidi controls, surrogates' neighbours,
# combining marks, wide and astral characters.
ODD_CHARS = "\x00\x01\x07\x1b\x7f\x85\u00a0\u200b\u200e\u202e\u2028\u0301\ufeff\ufffd\uffff𝔘😀"

words = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-'"),
    max_size=20,
)
odd_text = st.text(alphabet=st.sampled_from(ODD_CHARS), max_size=5)
latex_bits = st.sampled_from(LATEX)


@st.composite
def field_text(draw, depth: int = 0) -> str:
    """Return field content: words, LaTeX, odd characters, groups nested to random depth."""
    parts = draw(
        st.lists(
            st.one_of(
                words,
                latex_bits,
                odd_text,
                st.integers(0, 3000).map(str),
                st.builds(lambda inner: "{" + inner + "}", field_text(depth + 1))
                if depth < 4
                else words,
            ),
            max_size=6,
        )
    )
    return "".join(parts)


@st.composite
def field_value(draw) -> str:
    """Return a field's value as written: braced, quoted, a number, a macro, or concatenated."""
    one = st.one_of(
        field_text().map(lambda text: "{" + text + "}"),
        field_text().map(lambda text: '"' + text.replace('"', "") + '"'),
        st.integers(-5, 10**12).map(str),
        st.sampled_from(MACRO_NAMES),
        # Deep nesting, within and beyond the limit.
        st.integers(1, 3000).map(lambda depth: "{" * depth + "x" + "}" * depth),
    )
    return " # ".join(draw(st.lists(one, min_size=1, max_size=4)))


keys = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9:_\-]{0,15}", fullmatch=True),
    st.text(max_size=10),
    st.just(""),
)


@st.composite
def entry(draw) -> str:
    """Return one entry of a random type, key and fields, sometimes with broken syntax."""
    open_, close = draw(st.sampled_from((("{", "}"), ("(", ")"), ("{", ""), ("{", ")"))))
    fields = draw(
        st.lists(
            st.tuples(st.sampled_from(FIELD_NAMES), field_value()).map(
                lambda pair: f"  {pair[0]} = {pair[1]}"
            ),
            max_size=8,
        )
    )
    separator = draw(st.sampled_from((",\n", ",", "\n", ",,\n")))
    key = draw(keys)
    return (
        f"@{draw(st.sampled_from(ENTRY_TYPES))}{open_}{key},\n"
        + separator.join(fields)
        + ("\n" + close + "\n")
    )


@st.composite
def string_macro(draw) -> str:
    """Return an `@string` definition, possibly in terms of other macros."""
    return f"@string{{{draw(st.sampled_from(MACRO_NAMES))} = {draw(field_value())}}}\n"


other_blocks = st.one_of(
    field_text().map(lambda text: "@comment{" + text + "}\n"),
    field_value().map(lambda value: "@preamble{" + value + "}\n"),
    words.map(lambda text: "% " + text + "\n"),
    odd_text,
    st.sampled_from(("@", "@{", "@article", "@string{", "}", "@comment", "\n\n")),
)


@st.composite
def bibtex_text(draw) -> str:
    """Return a BibTeX-ish file, sometimes cut at a random point."""
    blocks = draw(st.lists(st.one_of(entry(), string_macro(), other_blocks), max_size=8))
    text = "".join(blocks)
    if text and draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


@st.composite
def doubling_macros(draw) -> tuple[str, int]:
    """Return a file whose macros double a value `rounds` times, and the expanded length."""
    rounds = draw(st.integers(1, 24))
    seed = draw(st.text(alphabet="abcxyz", min_size=1, max_size=8))
    lines = [f"@string{{m0 = {{{seed}}}}}"]
    lines += [f"@string{{m{i} = m{i - 1} # m{i - 1}}}" for i in range(1, rounds + 1)]
    field_name = draw(st.sampled_from(("title", "journal", "note", "abstract", "publisher")))
    title = "" if field_name == "title" else "  title = {A title},\n"
    lines.append(f"@article{{doubled,\n{title}  {field_name} = m{rounds},\n  year = 2020\n}}")
    return "\n".join(lines) + "\n", len(seed) * 2**rounds


ENCODINGS = ("utf-8", "utf-16", "utf-16-le", "latin-1", "cp1252", "utf-8-sig", "koi8-r", "cp437")


@st.composite
def encoded_bibtex(draw) -> bytes:
    """Return BibTeX text encoded in a random encoding, with random bytes spliced in."""
    text = draw(bibtex_text())
    encoding = draw(st.sampled_from(ENCODINGS))
    data = text.encode(encoding, errors="replace")
    if data and draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=16)) + data[at:]
    return data


# --- Properties of a parse --------------------------------------------------------------------


def check_result(result: ParseResult, text: str | None) -> None:
    """Assert what every parse result promises: accounted-for, located, bounded entries."""
    assert isinstance(result, ParseResult)
    errors = [p for p in result.problems if p.severity == "error"]
    located = [p for p in errors if p.line >= 1]
    # Every "@type{" entry counted is an Entry or one located error.
    assert len(result.entries) + len(located) == result.source_entry_count, (
        result.entries,
        result.problems,
    )
    for problem in result.problems:
        assert problem.severity in ("error", "warning")
        assert problem.line >= 0
        assert problem.message.strip()
    if text is not None:
        lines = text.count("\n") + text.count("\r") + 1
        for item in (*result.entries, *result.problems):
            assert item.line <= lines, item
    for parsed in result.entries:
        assert parsed.line >= 1
        for name, value in vars(parsed).items():
            if isinstance(value, str) and name != "raw":
                # Decoding LaTeX may add markup (`{X}` is a nocase span): a small multiple.
                assert len(value) <= 16 * FIELD_LIMIT, (name, len(value))


def parse(text: str) -> ParseResult | None:
    """Return the parse of `text` with the test limits, or None when it raises BibTeXError."""
    try:
        result = parse_text(
            text, source="fuzz.bib", max_field_length=FIELD_LIMIT, max_nesting=NESTING_LIMIT
        )
    except BibTeXError as error:
        assert str(error).strip()
        return None
    check_result(result, text)
    return result


@settings(deadline=PARSE_DEADLINE)
@given(bibtex_text())
@example("@article{a, title = {" + "{" * 5000 + "x" + "}" * 5000 + "}}")
@example('@article{a, title = "' + "{" * 5000 + '"}')
@example("@article{a, title = {x}" * 200)
@example("@string{a = b # a}\n@article{k, title = a}")
@example("@article{k, crossref = k, title = {t}}")
@example("@comment{@article{x, title={y}}}\n@preamble{{" + "}")
def test_bibtex_like_text_parses_or_raises_bibtex_error(text):
    parse(text)


@settings(deadline=PARSE_DEADLINE)
@given(st.text(max_size=2000))
@example("\x00")
@example("\ud800@article{a,title={x}}")
@example("@" * 5000)
def test_random_text_parses_or_raises_bibtex_error(text):
    parse(text)


@settings(deadline=PARSE_DEADLINE)
@given(st.one_of(encoded_bibtex(), st.binary(max_size=2000)))
@example(b"\xff\xfe@\x00a\x00")
@example(b"\xef\xbb\xbf@article{a, title={\xe9}}")
@example(b"@article{a, title={\x00}}")
def test_random_bytes_parse_or_raise_bibtex_error(data):
    try:
        result = parse_bytes(
            data, source="fuzz.bib", max_field_length=FIELD_LIMIT, max_nesting=NESTING_LIMIT
        )
    except BibTeXError as error:
        assert str(error).strip()
        return
    check_result(result, None)


# The finding 1: 20 doubling macros, a 2 MiB title from a few hundred bytes.
DOUBLING_20 = (
    "@string{m0 = {ab}}\n"
    + "".join(f"@string{{m{i} = m{i - 1} # m{i - 1}}}\n" for i in range(1, 21))
    + "@article{doubled,\n  title = m20,\n  year = 2020\n}\n",
    2 * 2**20,
)


@settings(deadline=PARSE_DEADLINE)
@given(doubling_macros())
@example(DOUBLING_20)
def test_macro_expansion_cannot_exceed_the_field_limit(case):
    """A value grown by macros past the limit is a located error, never an oversized field."""
    text, expanded = case
    result = parse(text)
    assert result is not None
    assert result.source_entry_count == 1
    if expanded <= FIELD_LIMIT:
        assert len(result.entries) == 1
        return
    assert result.entries == []
    [error] = [p for p in result.problems if p.severity == "error"]
    assert error.line == text.count("\n", 0, text.index("@article")) + 1
    assert error.key == "doubled"


def test_profile_is_derandomized_under_ci():
    if os.environ.get("CI") and not os.environ.get("HYPOTHESIS_PROFILE"):
        assert settings.default.derandomize
        assert settings.default.database is None
    assert settings.default.max_examples >= FUZZ_PROFILES["ci"]["max_examples"]


# --- What an upload runs: parse_source and plan_import ----------------------------------------


@pytest.mark.django_db
@settings(deadline=PARSE_DEADLINE * 2, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(encoded_bibtex(), st.binary(max_size=500)))
@example(b"")
@example(b"   \n")
@example(b"@string{a = {b}}")
@example(b"\x00\x01\x02")
def test_upload_preview_raises_only_import_file_error(seed, data):
    try:
        result = importer.parse_source(data=data, filename="upload.bib")
        plan = importer.plan_import(result, on_duplicate=OnDuplicate.SKIP)
    except importer.ImportFileError as error:
        assert str(error).startswith("upload.bib")
        return
    assert plan.source_entry_count == result.source_entry_count
    for row in plan.rows():
        assert row.line >= 0


# --- Round trip: the writer's output parses back to the record's fields -----------------------

plain = (
    st.text(
        alphabet=st.sampled_from(
            "abcdefghijklmnopqrstuvwxyz" + "éüñçøßåæœ" + "0123456789" + "&%$#_~^" + ".,;:!?()-'/`"
        ),
        min_size=1,
        max_size=30,
    )
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)
family_names = st.from_regex(r"[A-Z][a-zéüöñ]{1,10}(-[A-Z][a-z]{1,8})?", fullmatch=True)
given_names = st.from_regex(r"[A-Z][a-zé]{1,8}( [A-Z]\.)?", fullmatch=True)
people = st.lists(
    st.builds(lambda family, given: Name(family=family, given=given), family_names, given_names),
    max_size=4,
)


@st.composite
def records(draw):
    from catalogue.records import ArticleRecord

    return ArticleRecord(
        pk=1,
        output_type=OutputType.ARTICLE,
        title=draw(plain),
        journal_title=draw(plain),
        volume=draw(st.from_regex(r"[0-9]{1,3}", fullmatch=True)),
        year=draw(st.integers(1000, 2100)),
        doi=draw(st.from_regex(r"10\.[0-9]{4,5}/[a-z0-9.\-]{1,12}", fullmatch=True)),
        authors=draw(people),
        keywords=draw(
            st.lists(st.from_regex(r"[a-z]{3,12}", fullmatch=True), max_size=3, unique=True)
        ),
        publisher=draw(plain),
        note=draw(plain),
    )


def _record_with_note(note: str):
    from catalogue.records import ArticleRecord

    return ArticleRecord(pk=1, output_type=OutputType.ARTICLE, title="T", note=note, year=2020)


@settings(deadline=PARSE_DEADLINE)
@given(records())
# TeX ligatures in the text: written as "-{}-", "'{}'", ... they read back as typed.
@example(_record_with_note("a--b --- c"))
@example(_record_with_note("''quoted'' and ``this``"))
@example(_record_with_note("!`Hola! ?`Qué?"))
def test_writer_output_parses_back_to_the_same_fields(record):
    from catalogue.formats.bibtex.writer import bibtex_entry

    text = bibtex_entry(record, key="k1")
    result = parse_text(text, source="export.bib")
    assert result.problems == []
    [parsed] = result.entries
    assert parsed.key == "k1"
    assert parsed.output_type == OutputType.ARTICLE
    assert re.sub(r"</?span[^>]*>", "", parsed.title) == record.title
    assert parsed.journal_title == record.journal_title
    assert parsed.volume == record.volume
    assert parsed.year == record.year
    assert parsed.doi == record.doi
    assert parsed.publisher == record.publisher
    assert parsed.note == record.note
    assert parsed.authors == record.authors
    assert parsed.keywords == record.keywords
