"""Unit tests for catalogue.formats.bibtex: one rule per test, small .bib snippets, exact values."""

import codecs
import random

import pytest
from bibtexparser import model as bibtex_model
from bibtexparser.splitter import Splitter

from catalogue.formats.bibtex import (
    MAX_FIELD_LENGTH,
    MAX_NESTING,
    BibTeXError,
    Entry,
    Name,
    ParseResult,
    Problem,
    decode_bytes,
    latex_to_unicode,
    parse_bytes,
    parse_names,
    parse_text,
)
from catalogue.formats.bibtex.splitter import split_fast

# --- factories -------------------------------------------------------------------------------


def make_bibtex(
    *,
    entry_type: str = "article",
    key: str = "key1",
    title: str = "{A title}",
    fields: dict[str, str] | None = None,
) -> str:
    """Return one BibTeX entry, one field a line; `fields` values are raw (with braces)."""
    lines = [f"@{entry_type}{{{key},", f"  title = {title},"]
    lines += [f"  {name} = {value}," for name, value in (fields or {}).items()]
    lines.append("}")
    return "\n".join(lines) + "\n"


def parse_one(text: str) -> Entry:
    """Return the only entry of `text`, asserting there was no file-level problem."""
    result = parse_text(text)
    assert result.problems == []
    assert len(result.entries) == 1
    return result.entries[0]


def make_entry(**kwargs) -> Entry:
    """Return the entry parsed from make_bibtex(**kwargs)."""
    return parse_one(make_bibtex(**kwargs))


def messages(entry: Entry) -> list[str]:
    return [warning.message for warning in entry.warnings]


def errors(result: ParseResult) -> list[tuple[int, str, str]]:
    return [
        (problem.line, problem.key, problem.message)
        for problem in result.problems
        if problem.severity == "error"
    ]


def assert_accounted(result: ParseResult) -> None:
    """Assert every entry start became an entry or exactly one error problem."""
    error_count = sum(1 for problem in result.problems if problem.severity == "error")
    assert len(result.entries) + error_count == result.source_entry_count


# --- decoding bytes --------------------------------------------------------------------------

SAMPLE = "@article{k, title={Über Straße — café}, author={Dvořák, Antonín}}\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SAMPLE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_decode_bytes_unicode_with_and_without_bom(data, encoding):
    assert decode_bytes(data) == (SAMPLE, encoding)


def test_decode_bytes_honours_jabref_encoding_header():
    text = "% Encoding: windows-1252\n@article{k, title={25° C – Über}}\n"
    assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")


LATIN2_BODY = "@article{k, title={Łódź, Źdźbło and Šťastný}}\n"


@pytest.mark.parametrize(
    "header",
    [
        "% -*- coding: latin-2 -*-\n",
        "% -*- mode: bibtex; coding: iso-8859-2 -*-\n",
        "% -*- coding: iso-latin-2-unix -*-\n",
        "% !TeX encoding = ISO-8859-2\n",
        "% !TEX encoding = iso-8859-2\n",
        "%!tex encoding=latin2\n",
    ],
)
def test_decode_bytes_honours_emacs_and_tex_encoding_headers(header):
    text = header + LATIN2_BODY
    assert decode_bytes(text.encode("iso8859-2")) == (text, "iso8859-2")


def test_decode_bytes_without_header_does_not_guess_latin2():
    # The headers above matter: detection alone reads these bytes as another encoding.
    assert decode_bytes(LATIN2_BODY.encode("iso8859-2"))[1] != "iso8859-2"


@pytest.mark.parametrize(
    "header",
    [
        "% -*- coding: no-such-codec -*-\n",
        "% !TeX encoding = no-such-codec\n",
        # Emacs reads file variables on the first line only.
        "%\n%\n% -*- coding: latin-2 -*-\n",
    ],
)
def test_decode_bytes_unknown_or_misplaced_header_falls_back_to_detection(header):
    text = header + "@article{k, title={Über Straße – café “quoted”}}\n"
    assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")


def test_decode_bytes_prefers_valid_utf8_over_a_wrong_header():
    text = "% Encoding: ISO8859_1\n@article{k, title={Über ž}}\n"
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")


def test_decode_bytes_detects_header_lying_about_utf8():
    text = "% Encoding: UTF-8\n@article{k, title={café crème à la française}}\n"
    assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")


def test_decode_bytes_detects_cp1252_without_header():
    text = "@article{k, title={Über Straße – café “quoted”}}\n"
    assert decode_bytes(text.encode("cp1252")) == (text, "cp1252")


def test_decode_bytes_detects_gbk():
    text = "@ARTICLE{凯撒2013,\n  author = {凯撒},\n  journal = {测试期刊}\n}\n"
    assert decode_bytes(text.encode("gbk")) == (text, "gb18030")


def test_decode_bytes_empty():
    assert decode_bytes(b"") == ("", "utf-8")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "This file does not look like a BibTeX file: it is a PNG image.",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3",
            "This file does not look like a BibTeX file: it is a PDF document.",
        ),
        (
            b"PK\x03\x04\x14\x00",
            "This file does not look like a BibTeX file: "
            "it is a ZIP archive (or a Word/Excel/OpenDocument file).",
        ),
        (
            b"@article{k, title={a\x00b}}",
            "This file does not look like a BibTeX file: it contains binary data "
            "(1 control characters, the first at character 21).",
        ),
    ],
)
def test_decode_bytes_rejects_binary_files(data, message):
    with pytest.raises(BibTeXError) as raised:
        decode_bytes(data)
    assert str(raised.value) == message


def test_decode_bytes_rejects_random_bytes():
    data = random.Random(3).randbytes(1_000_000)
    with pytest.raises(BibTeXError, match=r"^This file does not look like a BibTeX file: "):
        decode_bytes(data)


def test_decode_bytes_rejects_control_characters_without_nul():
    with pytest.raises(BibTeXError, match="does not look like a BibTeX file: it contains binary"):
        decode_bytes(bytes(range(1, 32)) * 50)


def test_bibtex_error_is_a_value_error():
    assert issubclass(BibTeXError, ValueError)


def test_parse_bytes_reports_encoding_and_source():
    result = parse_bytes(SAMPLE.encode("utf-16"), source="refs.bib")
    assert result.encoding == "utf-16-le"
    assert result.source == "refs.bib"
    assert result.entries[0].title == "Über Straße — café"


def test_parse_text_rejects_binary_text():
    with pytest.raises(BibTeXError, match="contains binary data"):
        parse_text("@article{k, title={T}}\x00\x01\x02")


def test_constants():
    assert MAX_FIELD_LENGTH == 100_000
    assert MAX_NESTING == 100


# --- fields, macros, concatenation --------------------------------------------------------------


def test_field_names_in_any_case():
    entry = parse_one("@ARTICLE{k,\n AUTHOR = {Doe, Jane},\n Title = {T},\n JOURNAL = {J},\n}\n")
    assert (entry.entry_type, entry.title, entry.journal_title) == ("article", "T", "J")
    assert entry.authors == [Name(family="Doe", given="Jane")]


def test_string_macros_case_insensitive_and_concatenation():
    entry = parse_one(
        '@String{JGR = "Journal of " # {Geophysical}}\n'
        "@string{res = { Research}}\n"
        '@article{k, title = "Part " # 2 # {: } # "{DNA}", journal = jgr # Res}\n'
    )
    assert entry.title == "Part 2: DNA"
    assert entry.journal_title == "Journal of Geophysical Research"


@pytest.mark.parametrize(
    ("raw", "month", "day"),
    [
        ("dec", 12, None),
        ("DEC", 12, None),
        ("{December}", 12, None),
        ("{Dec.}", 12, None),
        ("{12}", 12, None),
        ("5", 5, None),
        ('jan # "~15"', 1, 15),
        ("{15 March}", 3, 15),
        ("{sept}", 9, None),
    ],
)
def test_month_forms(raw, month, day):
    entry = make_entry(fields={"year": "2017", "month": raw})
    assert (entry.year, entry.month, entry.day) == (2017, month, day)
    assert entry.warnings == []


def test_undefined_macro_warns_and_leaves_field_empty():
    text = "\n\n" + make_bibtex(key="k", fields={"journal": "jgr", "year": "2000"})
    entry = parse_one(text)
    assert entry.journal_title == ""
    assert entry.warnings == [
        Problem(
            line=3,
            key="k",
            message="`journal = jgr` uses the abbreviation `jgr`, which no @string defines: "
            "the field was left empty.",
            severity="warning",
        )
    ]


def test_undefined_month_macro_warns():
    entry = make_entry(fields={"year": "2000", "month": "foo"})
    assert entry.month is None
    assert messages(entry) == [
        "`month = foo` uses the abbreviation `foo`, which no @string defines: "
        "the field was left empty."
    ]


def test_crossref_child_inherits_missing_fields():
    result = parse_text(
        "@inproceedings{child, title = {Paper}, crossref = {proc}, pages = {1--2}}\n"
        "@proceedings{proc, title = {Proceedings of X}, year = 1999, publisher = {ACM},"
        " pages = {1--500}}\n"
    )
    child, parent = result.entries
    assert (child.journal_title, child.year, child.publisher) == ("Proceedings of X", 1999, "ACM")
    assert (child.first_page, child.last_page) == (1, 2)
    assert (parent.title, parent.output_type) == ("Proceedings of X", "book")


def test_crossref_to_missing_entry_warns():
    entry = make_entry(fields={"crossref": "{nowhere}"})
    assert messages(entry) == ["crossref `nowhere` names no entry in this file: nothing inherited."]


def test_duplicate_field_keeps_first_and_warns():
    entry = parse_one("@article{k, title={First}, TITLE={Second}, year=2000}")
    assert entry.title == "First"
    assert messages(entry) == [
        "The field `title` appears more than once: the first value was kept."
    ]


def test_subtitle_joins_title():
    entry = make_entry(title="{Main}", fields={"subtitle": "{A {DNA} story}"})
    assert entry.title == "Main: A DNA story"


# --- LaTeX to Unicode ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"{\"u}", "ü"),
        (r"\"{u}", "ü"),
        (r"\"u", "ü"),
        (r"{\'\i}", "í"),
        (r"{\v{S}}", "Š"),
        (r"\c{c}", "ç"),
        (r"\c c", "ç"),
        (r"\~n", "ñ"),
        (r"\aa", "å"),
        (r"{\AA}", "Å"),
        (r"\o", "ø"),
        (r"{\O}", "Ø"),
        (r"\ss", "ß"),
        (r"Stra\ss e", "Straße"),
        (r"\ae", "æ"),
        (r"\l", "ł"),
        (r"{\L}{\'o}d{\'z}", "Łódź"),
        (r"\`e\^o\=a\.z\u{g}\H{o}\r{u}\k{a}", "èôāżğőůą"),
        (r"Erd\H{o}s", "Erdős"),
        (r"\oe{}uvre", "œuvre"),
    ],
)
def test_latex_accents_and_letters(latex, text):
    assert latex_to_unicode(latex) == text


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"A \& B", "A & B"),
        (r"100\% sure", "100% sure"),
        (r"\$5", "$5"),
        (r"a\_b", "a_b"),
        (r"\#1", "#1"),
        ("100% sure", "100% sure"),
    ],
)
def test_latex_escaped_characters(latex, text):
    assert latex_to_unicode(latex) == text


def test_latex_dashes_and_ties_only_in_prose():
    assert latex_to_unicode("1990--2000 and---so~on") == "1990–2000 and—so on"
    assert latex_to_unicode("311--325", prose=False) == "311--325"
    assert latex_to_unicode("``quoted''") == "“quoted”"


def test_latex_case_protection_removed_and_whitespace_collapsed():
    assert latex_to_unicode("The  {DNA} of\n  {{RNA}}\tviruses ") == "The DNA of RNA viruses"


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\emph{x}", "<i>x</i>"),
        (r"\textit{x}", "<i>x</i>"),
        (r"{\em x} y", "<i>x</i> y"),
        (r"{\it x}", "<i>x</i>"),
        (r"\textbf{x}", "<b>x</b>"),
        (r"{\bf x}", "<b>x</b>"),
        (r"x\textsuperscript{2}", "x<sup>2</sup>"),
        (r"$^{13}$C", "<sup>13</sup>C"),
        (r"H\textsubscript{2}O", "H<sub>2</sub>O"),
        (r"CO$_{2}$ and CO$_2$", "CO<sub>2</sub> and CO<sub>2</sub>"),
        (r"25$^\circ$C", "25°C"),
        (r"\emph{}", ""),
    ],
)
def test_latex_font_commands_become_csl_markup(latex, text):
    assert latex_to_unicode(latex) == text


def test_latex_markup_can_be_turned_off():
    assert latex_to_unicode(r"\emph{E. coli} H$_2$O", markup=False) == "E. coli H2O"


def test_latex_literal_angle_brackets_and_ampersand_stay():
    # Kept as characters: a literal <i> in a .bib title reads as italics, like citeproc-js.
    assert latex_to_unicode("a < b & c > d <i>x</i>") == "a < b & c > d <i>x</i>"


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\texttt{x}", "x"),
        (r"\mbox{x}", "x"),
        (r"\textsc{Smith}", "Smith"),
        (r"\foo bar", "bar"),
        (r"\TeX", "TeX"),
        (r"\LaTeX{} and \BibTeX", "LaTeX and BibTeX"),
        (r"The \TeX book", "The TeX book"),
        (r"$x$ and $y^2$", "x and y<sup>2</sup>"),
        (r"$\alpha$-amyloid", "α-amyloid"),
        (r"p $<$ 0.05", "p < 0.05"),
        (r"US$ 5", "US$ 5"),
        (r"from $5 to $10 and $1.5m", "from $5 to $10 and $1.5m"),
        (r"$5$-regular graphs", "5-regular graphs"),
        (r"{\TeX} on the \VAX and {\PDF}", "TeX on the VAX and PDF"),
        (r"{{\Bib\LaTeX}} and \TUB{}", "BibLaTeX and TUB"),
        (r"\relax x \protect\foo", "x"),
        (r"{\sl c{\raise.25ex\hbox{++}}} \kern-2pt x", "<i>c++</i> x"),
        (r"a\hspace{1em}b", "ab"),
        (r"{\noopsort{b}}Title", "Title"),
        (r"\url{http://a.org/x_y%20z}", "http://a.org/x_y%20z"),
        (r"\href{http://a.org}{the text}", "the text"),
        (r"unbalanced {group \emph{x", "unbalanced group <i>x</i>"),
        (r"stray } brace", "stray brace"),
        ("trailing \\", "trailing \\"),
    ],
)
def test_latex_unknown_macros_logos_math(latex, text):
    assert latex_to_unicode(latex) == text


def test_latex_fast_path_returns_plain_values_unchanged():
    assert latex_to_unicode("Plain title, 2nd ed.") == "Plain title, 2nd ed."
    assert latex_to_unicode("  two\n lines ") == "two lines"
    assert latex_to_unicode("") == ""


def test_latex_deep_nesting_has_no_recursion_limit():
    assert latex_to_unicode("{" * 5000 + "x" + "}" * 5000) == "x"


def test_prose_fields_get_dashes_but_pages_and_identifiers_do_not():
    entry = make_entry(
        title="{Before--after}",
        fields={
            "journal": "{Ups---downs}",
            "note": "{See~also}",
            "pages": "{311--325}",
            "url": r"{http://a.org/x\_y%20z--w}",
            "doi": r"{10.1000/a\_b--c}",
        },
    )
    assert (entry.title, entry.journal_title, entry.note) == (
        "Before–after",
        "Ups—downs",
        "See also",
    )
    assert (entry.first_page, entry.last_page) == (311, 325)
    assert entry.url == "http://a.org/x_y%20z--w"
    assert entry.doi == "10.1000/a_b--c"


def test_abstract_keeps_markup_and_percent():
    entry = make_entry(
        fields={"abstract": r"{We found \emph{more} than 50\% (p < 0.05) -- really.}"}
    )
    assert entry.abstract == "We found <i>more</i> than 50% (p < 0.05) – really."


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("Smith, John", [Name(family="Smith", given="John")]),
        ("John Smith", [Name(family="Smith", given="John")]),
        ("Smith, Jr., John", [Name(family="Smith", given="John", suffix="Jr.")]),
        ("King, Jr, Martin Luther", [Name(family="King", given="Martin Luther", suffix="Jr")]),
        ("de la Cruz, María", [Name(family="Cruz", given="María", particle="de la")]),
        ("van der Berg, Anna", [Name(family="Berg", given="Anna", particle="van der")]),
        ("Ludwig van Beethoven", [Name(family="Beethoven", given="Ludwig", particle="van")]),
        ("Jean-Paul Sartre", [Name(family="Sartre", given="Jean-Paul")]),
        ("{van der Walt}, Stefan", [Name(family="van der Walt", given="Stefan")]),
        ("{World Health Organization}", [Name(corporate="World Health Organization")]),
        ("{Open Science Collaboration}", [Name(corporate="Open Science Collaboration")]),
        ("{Barnes and Noble}", [Name(corporate="Barnes and Noble")]),
        (r"\'{E}va Tardos", [Name(family="Tardos", given="Éva")]),
        (r"Ne\~{s}et\~{r}il, Jaroslav", [Name(family="Nes̃etr̃il", given="Jaroslav")]),
        (r"Jaroslav Ne{\v{s}}et{\v{r}}il", [Name(family="Nešetřil", given="Jaroslav")]),
        (r"Erd{\H{o}}s, P{\'a}l", [Name(family="Erdős", given="Pál")]),
        (r"{\"O}zt{\"u}rk, Ay{\c{s}}e", [Name(family="Öztürk", given="Ayşe")]),
        ("Plato", [Name(family="Plato")]),
        ("Doe, J.~R.", [Name(family="Doe", given="J. R.")]),
        (
            "Smith, John AND Doe, Jane and Roe, R.",
            [
                Name(family="Smith", given="John"),
                Name(family="Doe", given="Jane"),
                Name(family="Roe", given="R."),
            ],
        ),
    ],
)
def test_parse_names(value, names):
    assert parse_names(value) == (names, False)


def test_parse_names_and_others_is_et_al_not_a_person():
    assert parse_names("Smith, John and others") == ([Name(family="Smith", given="John")], True)


def test_names_are_split_before_decoding():
    # Decoding first would turn {World Health Organization} into a person named Organization.
    entry = make_entry(
        fields={"author": r"{{World Health Organization} and M{\"u}ller, J{\"o}rg and others}"}
    )
    assert entry.authors == [
        Name(corporate="World Health Organization"),
        Name(family="Müller", given="Jörg"),
    ]
    assert entry.et_al is True


def test_editors_are_read():
    entry = make_entry(entry_type="book", fields={"editor": "{{Doe}, Jane and John Roe}"})
    assert entry.editors == [Name(family="Doe", given="Jane"), Name(family="Roe", given="John")]
    assert entry.authors == []


@pytest.mark.parametrize(
    ("value", "names", "warning"),
    [
        (
            "Smith, John,",
            [Name(family="Smith", given="John")],
            "Trailing comma in the name `Smith, John,` ignored.",
        ),
        (
            "Smith, John; Doe, Jane",
            [Name(family="Smith", given="John"), Name(family="Doe", given="Jane")],
            "Names separated by `;` in `Smith, John; Doe, Jane`: read as a list of names "
            "(BibTeX separates names with `and`).",
        ),
        (
            "Smith, J., Doe, J.",
            [Name(family="Smith", given="J."), Name(family="Doe", given="J.")],
            "`Smith, J., Doe, J.` looks like several names separated by commas: read as pairs "
            "of family name, given names (BibTeX separates names with `and`).",
        ),
        (
            "Smith and and Doe",
            [Name(family="Smith"), Name(family="Doe")],
            "An empty name in `Smith and and Doe` was skipped.",
        ),
        (
            ", John",
            [Name(family="John")],
            "The name `, John` has no family name: `John` used as one.",
        ),
    ],
)
def test_odd_names_are_read_with_a_warning(value, names, warning):
    entry = make_entry(fields={"author": "{" + value + "}"})
    assert entry.authors == names
    assert messages(entry) == [warning]


def test_biblatex_extended_name_format():
    entry = make_entry(
        fields={"author": "{family=Berg, given=Anna, prefix=van der, useprefix=true and Doe, J.}"}
    )
    assert entry.authors == [
        Name(family="Berg", given="Anna", particle="van der"),
        Name(family="Doe", given="J."),
    ]


# --- identifiers, numbers, dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "doi"),
    [
        ({"doi": "{10.1037/A0040435}"}, "10.1037/a0040435"),
        ({"doi": "{https://doi.org/10.1037/a0040435}"}, "10.1037/a0040435"),
        ({"doi": "{doi:10.1037/a0040435}"}, "10.1037/a0040435"),
        ({"doi": "{http://doi.acm.org/10.1145/1137627.1137631}"}, "10.1145/1137627.1137631"),
        ({"url": "{https://dx.doi.org/10.1037/a0040435}"}, "10.1037/a0040435"),
    ],
)
def test_doi_normalised(fields, doi):
    assert make_entry(fields=fields).doi == doi


def test_invalid_doi_warns_and_is_left_empty():
    entry = make_entry(fields={"doi": "{not a doi}"})
    assert entry.doi == ""
    assert messages(entry) == [
        "DOI `not a doi` is not a DOI (10.<registrant>/<suffix>): left empty."
    ]


@pytest.mark.parametrize(
    ("pages", "printed", "first", "last"),
    [
        ("{311--325}", "311–325", 311, 325),
        ("{311}", "311", 311, 311),
        ("311", "311", 311, 311),
        ("{pp. 12–14}", "12–14", 12, 14),
        # Issue 14: pages are kept as printed; numbers only from plain numbers (an
        # abbreviated range counts in full), and an electronic page or article id in
        # `pages` stays pages (no article number).
        ("{311-25}", "311–25", 311, 325),
        ("{1198--201}", "1198–201", 1198, 1201),
        ("{e0123}", "e0123", None, None),
        ("{aac4716}", "aac4716", None, None),
        ("{S12--S15}", "S12–S15", None, None),
        ("{7+}", "7+", None, None),
        ("{052102}", "052102", None, None),
        ("{E3313--E3322}", "E3313–E3322", None, None),
        ("{123--}", "123–", None, None),
        ("{xii--xv}", "xii–xv", None, None),
        ("{1, 5--7}", "1, 5–7", None, None),
    ],
)
def test_pages(pages, printed, first, last):
    entry = make_entry(fields={"pages": pages})
    assert (entry.pages, entry.first_page, entry.last_page, entry.article_number) == (
        printed,
        first,
        last,
        "",
    )
    assert entry.warnings == []


def test_pages_last_before_first_warns():
    entry = make_entry(fields={"pages": "{325--311}"})
    assert (entry.pages, entry.first_page, entry.last_page) == ("325–311", None, None)
    assert messages(entry) == [
        "Pages `325–311`: the last page comes before the first; kept as printed, "
        "without page numbers."
    ]


@pytest.mark.parametrize(
    ("fields", "article_number", "issue"),
    [
        ({"eid": "{e1002345}"}, "e1002345", ""),
        ({"articleno": "{42}"}, "42", ""),
        ({"article-number": "{115701}", "number": "{3}"}, "115701", "3"),
        # Issue 14: a number that looks like an article id stays the issue.
        ({"number": "{e0123456}"}, "", "e0123456"),
        ({"number": "{4}"}, "", "4"),
        ({"number": "{3-4}"}, "", "3-4"),
        ({"issue": "{S1}"}, "", "S1"),
    ],
)
def test_article_numbers_and_issues(fields, article_number, issue):
    entry = make_entry(fields=fields)
    assert (entry.article_number, entry.issue) == (article_number, issue)


def test_number_of_a_report_is_its_report_number():
    # Issue 14: a report's `number` is its report number, no longer the issue.
    entry = make_entry(entry_type="techreport", fields={"number": "{TR2001}"})
    assert (entry.report_number, entry.issue, entry.article_number) == ("TR2001", "", "")


@pytest.mark.parametrize(("name", "value"), [("numpages", "{12}"), ("pagetotal", "{xii + 300}")])
def test_page_count(name, value):
    entry = make_entry(fields={name: value})
    if value == "{12}":
        assert (entry.page_count, entry.warnings) == (12, [])
    else:
        assert entry.page_count is None
        assert messages(entry) == ["`pagetotal = xii + 300` is not a number of pages: left empty."]


def test_keywords_split_trimmed_deduplicated_decoded():
    entry = make_entry(
        fields={"keywords": r"{Memory; memory , M{\"u}ller effect,, {A, B}; Caf\'e;}"}
    )
    assert entry.keywords == ["Memory", "Müller effect", "A, B", "Café"]


def test_two_issns_normalised_invalid_dropped_with_warning():
    entry = make_entry(fields={"issn": "{0003066x; 1935-990X 1234-5678 (Print)}"})
    assert entry.issns == ["0003-066X", "1935-990X"]
    assert messages(entry) == ["ISSN dropped: 1234-5678 has a wrong check digit (expected 9)."]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("english", "en"),
        ("English", "en"),
        ("en", "en"),
        ("eng", "en"),
        ("en-US", "en"),
        ("american", "en"),
        ("ngerman", "de"),
        ("german", "de"),
        ("Deutsch", "de"),
        ("french", "fr"),
        ("Français", "fr"),
        ("spanish", "es"),
        ("brazil", "pt"),
        ("dutch", "nl"),
        ("chinese", "zh"),
    ],
)
def test_language_mapped_to_iso_639_1(value, code):
    entry = make_entry(fields={"language": "{" + value + "}"})
    assert (entry.language, entry.warnings) == (code, [])


def test_biblatex_langid_and_unknown_language():
    assert make_entry(fields={"langid": "{swedish}"}).language == "sv"
    entry = make_entry(fields={"language": "{klingon}"})
    assert entry.language == ""
    assert messages(entry) == [
        "Language `klingon` is not a language the catalogue knows: left empty."
    ]


def test_catalogue_text_fields():
    entry = make_entry(
        fields={
            "abstract": "{An abstract.}",
            "note": "{A note}",
            "annote": "{An annotation}",
            "publisher": r"{Springer \& Sons}",
            "volume": "{12}",
            "number": "{3}",
            "pmid": "{28481579}",
            "url": "{https://example.org/a}",
            "shortjournal": "{Am Psychol}",
            "journaltitle": "{American Psychologist}",
        }
    )
    assert (entry.abstract, entry.note, entry.publisher) == (
        "An abstract.",
        "A note; An annotation",
        "Springer & Sons",
    )
    assert (entry.volume, entry.issue, entry.pmid, entry.url) == (
        "12",
        "3",
        "28481579",
        "https://example.org/a",
    )
    assert (entry.journal_title, entry.journal_abbreviation) == (
        "American Psychologist",
        "Am Psychol",
    )


def test_journal_abbrev_field():
    assert make_entry(fields={"journal-abbrev": "{J. Res.}"}).journal_abbreviation == "J. Res."


@pytest.mark.parametrize("entry_type", ["inproceedings", "incollection"])
def test_booktitle_is_the_container(entry_type):
    entry = make_entry(entry_type=entry_type, fields={"booktitle": "{Proc. of {X} 2020}"})
    assert entry.journal_title == "Proc. of X 2020"


def test_thesis_school_is_the_publisher():
    entry = make_entry(entry_type="phdthesis", fields={"school": "{MIT}"})
    assert (entry.output_type, entry.publisher) == ("thesis", "MIT")


@pytest.mark.parametrize(
    ("fields", "year", "month", "day", "state"),
    [
        ({"year": "2017"}, 2017, None, None, "published"),
        ({"year": "{2017a}"}, 2017, None, None, "published"),
        ({"date": "{2017-05-03}"}, 2017, 5, 3, "published"),
        ({"date": "{2017-05}"}, 2017, 5, None, "published"),
        ({"date": "{2017}"}, 2017, None, None, "published"),
        ({"date": "{2017-05-03/2017-05-05}"}, 2017, 5, 3, "published"),
        ({"year": "{in press}"}, None, None, None, "in-press"),
        ({"year": "{In Press}"}, None, None, None, "in-press"),
        ({"year": "{forthcoming}"}, None, None, None, "in-press"),
        ({"year": "{2021}", "pubstate": "{forthcoming}"}, 2021, None, None, "in-press"),
        ({"year": "{submitted}"}, None, None, None, "submitted"),
    ],
)
def test_dates_and_state(fields, year, month, day, state):
    entry = make_entry(fields=fields)
    assert (entry.year, entry.month, entry.day, entry.state) == (year, month, day, state)
    assert entry.warnings == []


@pytest.mark.parametrize(
    ("fields", "warning"),
    [
        ({"year": "{n.d.}"}, None),
        ({"year": "{?}"}, "Year `?` is not a year: left empty."),
        ({"date": "{2017-02-30}"}, "February 2017 has no day 30: the day was left empty."),
        ({"month": "{may}"}, "A month without a year was left empty."),
        ({"year": "2000", "month": "{Smarch}"}, "Month `Smarch` is not a month: left empty."),
    ],
)
def test_bad_dates_warn(fields, warning):
    entry = make_entry(fields=fields)
    assert entry.day is None
    assert messages(entry) == ([warning] if warning else [])


# --- entry types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry_type", "output_type"),
    [
        ("article", "article"),
        ("inproceedings", "conference-paper"),
        ("conference", "conference-paper"),
        ("book", "book"),
        ("inbook", "book"),
        ("booklet", "book"),
        ("incollection", "chapter"),
        ("phdthesis", "thesis"),
        ("mastersthesis", "thesis"),
        ("thesis", "thesis"),
        ("techreport", "report"),
        ("report", "report"),
        ("misc", "other"),
        ("online", "webpage"),
        ("electronic", "webpage"),
        ("www", "webpage"),
        ("webpage", "webpage"),
        ("dataset", "dataset"),
        ("unpublished", "preprint"),
        ("manual", "other"),
        ("proceedings", "book"),
        ("ARTICLE", "article"),
    ],
)
def test_entry_types(entry_type, output_type):
    entry = make_entry(entry_type=entry_type)
    assert (entry.entry_type, entry.output_type, entry.warnings) == (
        entry_type.lower(),
        output_type,
        [],
    )


def test_misc_with_eprint_is_a_preprint():
    fields = {"eprint": "{2101.00001}", "archivePrefix": "{arXiv}"}
    assert make_entry(entry_type="misc", fields=fields).output_type == "preprint"


def test_unknown_entry_type_is_other_with_warning():
    entry = make_entry(entry_type="judicial")
    assert entry.output_type == "other"
    assert messages(entry) == [
        "`@judicial` is not an entry type the catalogue knows: imported as other."
    ]


# --- errors: located, one per entry, nothing lost silently ------------------------------------


def test_missing_comma_swallowing_next_field_is_an_error():
    text = "@article{ok, title={Fine}}\n\n@article{bad,\n  title = {T}\n  year = 2000\n}\n"
    result = parse_text(text, source="refs.bib")
    assert [entry.key for entry in result.entries] == ["ok"]
    assert result.problems == [
        Problem(
            line=3,
            key="bad",
            message="A comma is missing after the field `title`: the next field "
            "(`year = ...`) ran into its value. Not imported.",
            raw="@article{bad,\n  title = {T}\n  year = 2000\n}",
            severity="error",
            source="refs.bib",
        )
    ]
    assert result.source_entry_count == 2


def test_value_holding_another_field_is_an_error():
    text = "@article{a,\n  title = {T,\n  year = {2000},\n  journal = {J}}}\n@article{b, title={U}}"
    result = parse_text(text)
    assert [entry.key for entry in result.entries] == ["b"]
    assert errors(result) == [
        (
            1,
            "a",
            "The field `title` holds what looks like another field (`year = ...`): a closing "
            "brace or quote is probably missing. Not imported.",
        )
    ]


def test_unclosed_value_before_next_entry_is_an_error():
    result = parse_text("@article{a,\n  title = {T,\n  year = 2000,\n\n@article{b, title = {U}}\n")
    assert [entry.key for entry in result.entries] == ["b"]
    assert errors(result) == [
        (
            1,
            "a",
            "The entry could not be read: a field value is not closed (a `}` is missing) "
            "before the next entry starts. Not imported.",
        )
    ]


def test_unbalanced_braces_error_and_next_entry_survives():
    text = "@article{a,\n  title = {T,\n  year = 2000\n}\n\n@article{b, title = {U}}\n"
    result = parse_text(text)
    assert [entry.key for entry in result.entries] == ["b"]
    assert errors(result) == [
        (
            1,
            "a",
            "The entry could not be read: a field value runs into the next entry "
            "(a `}` is missing at the end). Not imported.",
        )
    ]
    assert_accounted(result)


def test_missing_closing_brace_at_end_of_file():
    result = parse_text("@article{a, title = {T}\n")
    assert errors(result) == [
        (
            1,
            "a",
            "The entry could not be read: the file ends inside it (a `}` is missing). "
            "Not imported.",
        )
    ]
    assert result.source_entry_count == 1


def test_keyless_and_missing_key_entries_are_errors():
    result = parse_text(
        "@article{, title={T}}\n@article{title = {U}, year = 2000}\n@article{k title={V}}\n"
    )
    assert errors(result) == [
        (1, "", "The entry has no citation key (`@article{,`): not imported."),
        (
            2,
            "",
            "The entry could not be read: the citation key is missing "
            "(the entry starts with the field `title`). Not imported.",
        ),
        (
            3,
            "k",
            "The entry could not be read: there is no comma after the citation key `k`. "
            "Not imported.",
        ),
    ]
    assert result.source_entry_count == 3


def test_duplicate_key_compared_case_insensitively_second_reported():
    result = parse_text(
        "@article{Smith2000, title={First}}\n@article{smith2000, title={Second}}\n"
        "@article{Smith2000, title={Third}}\n"
    )
    assert [entry.title for entry in result.entries] == ["First"]
    assert errors(result) == [
        (
            2,
            "smith2000",
            "Duplicate citation key `smith2000`: the entry at line 1 already uses it "
            "(as `Smith2000`; keys ignore case). Not imported.",
        ),
        (
            3,
            "Smith2000",
            "Duplicate citation key `Smith2000`: the entry at line 1 already uses it. "
            "Not imported.",
        ),
    ]


def test_field_name_with_space_is_an_error():
    result = parse_text("@article{k,\n  title = {T},\n  journal title = {J}\n}\n")
    assert errors(result) == [
        (
            1,
            "k",
            "The field name `journal title` contains a space (a missing `=` or comma?): "
            "not imported.",
        )
    ]


def test_comment_line_inside_entry_is_ignored_with_warning():
    entry = parse_one("@article{k,\n  title = {T},\n  % a comment\n  year = 2000\n}\n")
    assert entry.year == 2000
    assert messages(entry) == ["A `%` comment line before the field `year` was ignored."]


def test_extra_closing_brace_is_an_error_not_a_silent_loss():
    result = parse_text("@article{a, title={T}}, year={2000}}\n@article{b, title={U}}\n")
    assert [entry.key for entry in result.entries] == ["b"]
    assert errors(result) == [
        (
            1,
            "a",
            "The entry ends early (an extra `}`?): the text after it, `, year={2000}}`, "
            "looks like more of its fields. Not imported.",
        )
    ]


def test_entries_swallowed_on_one_line_are_reported_lost():
    result = parse_text(
        "@article{ok, title={Fine}}\n"
        "@article{a, title={T} @article{b, title={U}} @article{c, title={V}}\n"
    )
    assert [entry.key for entry in result.entries] == ["ok"]
    assert errors(result) == [
        (
            2,
            "a",
            "The entry could not be read: the file ends inside it (a `}` is missing). "
            "Not imported.",
        ),
        (
            2,
            "b",
            "The entry at line 2 (key b) was lost: it is inside the broken entry at line 2 "
            "(key a); fix that entry and import the file again.",
        ),
        (
            2,
            "c",
            "The entry at line 2 (key c) was lost: it is inside the broken entry at line 2 "
            "(key a); fix that entry and import the file again.",
        ),
    ]
    assert result.source_entry_count == 4
    assert_accounted(result)


def test_entry_without_title_is_an_error():
    result = parse_text("@article{k, author={Doe, J.}, title={ }, year=2000}")
    assert errors(result) == [(1, "k", "The entry has no title: not imported.")]


def test_string_preamble_comment_are_not_entries():
    result = parse_text(
        '@preamble{"\\newcommand{\\noopsort}[1]{}"}\n'
        "@string{x = {y}}\n"
        "@comment{ @article{hidden, title={c}} }\n"
        "@article{k, title={T}}\n"
    )
    assert [entry.key for entry in result.entries] == ["k"]
    assert result.problems == []
    assert result.source_entry_count == 1


def test_broken_string_is_a_file_warning():
    result = parse_text("@string{x = {y}\n@article{k, title={T}, note = x}\n")
    assert result.entries[0].note == ""
    assert [(p.line, p.severity, p.message) for p in result.problems] == [
        (
            1,
            "warning",
            "The @string at line 1 could not be read (it is not closed before the next "
            "entry starts); entries using its abbreviation will miss that value.",
        )
    ]
    assert result.source_entry_count == 1


def test_no_entries_is_a_file_warning():
    result = parse_text("% just a comment\n")
    assert result.entries == []
    assert result.source_entry_count == 0
    assert result.problems == [
        Problem(
            line=0,
            key="",
            message="The text holds no BibTeX entries such as @article{key, ...}.",
            severity="warning",
        )
    ]


def test_problem_raw_is_truncated():
    text = "@article{k,\n  author = {" + "x" * 10_000 + "}\n  year = 2000\n}\n"
    (problem,) = parse_text(text).problems
    assert problem.raw == text[:4000] + "\n[... truncated]"


def test_line_numbers_are_one_based_with_crlf_and_bom():
    text = "\ufeff% header\r\n\r\n@article{a, title={A}}\r\n@article{b, title={B}}\r\n"
    result = parse_text(text)
    assert [(entry.key, entry.line) for entry in result.entries] == [("a", 3), ("b", 4)]


# --- limits ----------------------------------------------------------------------------------


def test_field_longer_than_limit_is_an_error():
    text = "@article{big, title={" + "word " * 2_000_000 + "}}\n@article{ok, title={T}}\n"
    result = parse_text(text)
    assert [entry.key for entry in result.entries] == ["ok"]
    assert errors(result) == [
        (
            1,
            "big",
            "The field `title` is 10,000,002 characters long, more than the limit of 100,000: "
            "not imported.",
        )
    ]


def test_max_field_length_is_a_parameter():
    result = parse_text(make_bibtex(key="k", title="{0123456789}"), max_field_length=5)
    assert errors(result) == [
        (
            1,
            "k",
            "The field `title` is 12 characters long, more than the limit of 5: not imported.",
        )
    ]


def test_nesting_deeper_than_limit_is_an_error():
    text = (
        "@article{deep, title={" + "{" * 5000 + "x" + "}" * 5000 + "}}\n@article{ok, title={T}}\n"
    )
    result = parse_text(text)
    assert [entry.key for entry in result.entries] == ["ok"]
    assert errors(result) == [
        (
            1,
            "deep",
            "The field `title` nests braces 5,001 deep, more than the limit of 100: not imported.",
        )
    ]


def test_nesting_within_limit_is_fine():
    entry = make_entry(title="{" + "{" * 50 + "x" + "}" * 50 + "}")
    assert entry.title == "x"
    assert parse_text(make_bibtex(title="{{{x}}}"), max_nesting=2).problems[0].message == (
        "The field `title` nests braces 3 deep, more than the limit of 2: not imported."
    )


def test_unclosed_nested_braces_are_an_error():
    result = parse_text("@article{k, title=" + "{" * 5000)
    assert result.source_entry_count == 1
    assert len(errors(result)) == 1


# --- never crashes ---------------------------------------------------------------------------

FUZZ_PIECES = [
    "@article{", "@book(", "@string{", "@comment{", "@{", "@", "key", ",", " = ", "=", "{", "}",
    '"', "#", " and ", "others", "\\", "\\'", '\\"', "\\v", "{\\em ", "\\emph{", "$", "^",
    "_", "~", "--", "%", "\n", " ", "title", "author", "year", "month", "jan", "pages",
    "12--3", "doi", "10.1/x", "url", "Smith, J.", "van", "{WHO}", "é", "\\i", "(", ")",
    "crossref", "date", "2017-02-30", "issn", "0003-066X", "keywords", ";", "eid", "e012",
    "\\url{", "family=", "\\}", "\\{", "``",
]  # fmt: skip


def test_random_input_never_crashes_and_every_entry_is_accounted_for():
    rng = random.Random(20240501)
    for _ in range(500):
        text = "".join(rng.choice(FUZZ_PIECES) for _ in range(rng.randint(1, 60)))
        result = parse_text(text)
        assert_accounted(result)
        for entry in result.entries:
            assert entry.title
            assert all(name.family or name.corporate for name in entry.authors)
            assert entry.month is None or entry.year is not None
        assert isinstance(latex_to_unicode(text), str)
        assert isinstance(parse_names(text)[0], list)


# --- the fast splitter agrees with bibtexparser's ----------------------------------------------


def split_summary(blocks: list) -> list[tuple]:
    """Return comparable tuples for the non-comment blocks (line numbers left out)."""
    summary = []
    for block in blocks:
        if isinstance(
            block, (bibtex_model.DuplicateBlockKeyBlock, bibtex_model.DuplicateFieldKeyBlock)
        ):
            block = block.ignore_error_block
        if isinstance(block, bibtex_model.Entry):
            fields = [(field.key, field.value) for field in block.fields]
            summary.append(("entry", block.entry_type, block.key, block.raw, fields))
        elif isinstance(block, bibtex_model.String):
            summary.append(("string", block.key, block.value, block.raw))
        elif isinstance(block, bibtex_model.ExplicitComment):
            summary.append(("comment", block.comment, block.raw))
        elif isinstance(block, bibtex_model.Preamble):
            summary.append(("preamble", block.value, block.raw))
        elif isinstance(block, bibtex_model.ImplicitComment):
            summary.append(("text", block.raw))
        else:
            summary.append((type(block).__name__,))
    return summary


@pytest.mark.parametrize(
    "text",
    [
        "@article{k, title = {T}, year = 2000}",
        '@ARTICLE{k,\n  Title = {The {DNA} of {{deep {nesting}}}},\n  note = x # {y} # "z",\n}\n',
        '@article{k, title = "{DNA} in quotes, with comma", note = "a {"} quote"}',
        r"@article{k, title = {Escaped \{ and \} braces}, note = {50\% and a\_b}}",
        "@article{k, author = {a@b.org and LeQua @ CLEF}, title = {T}}",
        "@booklet{@handle, title = {Key starting with @}}",
        '@string{jgr = "J. Geophys. Res."}\n@comment{jabref-meta: x;}\n@preamble{"\\def"}\n',
        "% text before\n@article{a, title={A}}\nfree text\n@book{b, title={B},}\n",
        "@article{k}\n@article{k, title={Same key twice}}\n",
        "@article{k, title={" + "{" * 7 + "x" + "}" * 7 + "}}",
        "@article{k, title = {T} year = 2000}",
    ],
)
def test_fast_splitter_agrees_with_bibtexparser(text):
    fast = split_fast(text)
    assert fast is not None
    assert split_summary(fast) == split_summary(Splitter(text).split().blocks)


@pytest.mark.parametrize(
    "text",
    [
        "@article(k, title = {Parentheses})",
        "@article{k, title = {unclosed}\n@article{j, title={U}}",
        "@article{k, title={" + "{" * 8 + "x" + "}" * 8 + "}}",
        "@article{k, title = {T}, note = {see\n@book{x}}}",
    ],
)
def test_fast_splitter_leaves_irregular_text_to_bibtexparser(text):
    assert split_fast(text) is None


def test_fast_splitter_line_numbers_count_every_newline():
    # bibtexparser does not count a newline after a backslash; the fast splitter does.
    text = "@article{a, title = {Line one\\\nline two}}\n@article{b, title={B}}\n"
    blocks = split_fast(text)
    assert [block.start_line for block in blocks if isinstance(block, bibtex_model.Entry)] == [0, 2]
    assert [(entry.key, entry.line) for entry in parse_text(text).entries] == [("a", 1), ("b", 3)]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"note": "{In press}"}, ("in-press", "", None)),
        ({"note": "{Forthcoming.}"}, ("in-press", "", None)),
        (
            {"note": "{Copyright APA. In press}", "pubstate": "{inpress}"},
            ("in-press", "Copyright APA", None),
        ),
        ({"note": "{Submitted}"}, ("submitted", "", None)),
        # A dated, published record keeps a note that merely mentions a state.
        ({"note": "{Submitted}", "year": "2019"}, ("published", "Submitted", 2019)),
        ({"note": "{Not in press at all}"}, ("published", "Not in press at all", None)),
    ],
)
def test_a_note_that_states_the_publication_state_sets_it(fields, expected):
    entry = make_entry(fields=fields)
    assert (entry.state, entry.note, entry.year) == expected


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Human\textendash Computer", "Human–Computer"),
        (r"Human\textendash  Computer", "Human–Computer"),
        (r"Stra\ss e", "Straße"),
        (r"\ss e", "ße"),
        (r"1990\textemdash 2000", "1990—2000"),
        (r"a\dots b", "a…b"),
        (r"methodology\hyphen independent", "methodology-independent"),
        # Control symbols keep the space after them.
        (r"A \& B", "A & B"),
        (r"50\% off", "50% off"),
        (r"a\, b", "a b"),
        (r"a\ b", "a b"),
        # Accents in every spelling.
        (r"{\'e}t{\'e}", "été"),
        (r"\'{e}t\'{e}", "été"),
        (r"\'et\'e", "été"),
        # `{}` and `\ ` keep a space after a control word, as in TeX.
        (r"\LaTeX{} is", "LaTeX is"),
        (r"\LaTeX\ is", "LaTeX is"),
        (r"Human\textendash{} Computer", "Human– Computer"),
        (r"Human\textendash\ Computer", "Human– Computer"),
        # Logos and acronym macros keep a following space (often defined with \xspace).
        (r"\LaTeX is", "LaTeX is"),
        (r"the \VAX computer", "the VAX computer"),
        # An unknown lower-case command is dropped with its spaces.
        (r"\foo bar", "bar"),
    ],
)
def test_latex_control_word_consumes_following_spaces(latex, text):
    assert latex_to_unicode(latex) == text


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"A$\beta$25", "Aβ25"),
        (r"A$\beta$ 25", "Aβ 25"),
        (r"$\alpha$-helix", "α-helix"),
        (r"$^{13}$C", "<sup>13</sup>C"),
        (r"$2$3", "$2$3"),  # opens and closes on digits: read as money
        # Money stays money: a pair that opens and closes on digits is not math.
        (r"from $5 to $10", "from $5 to $10"),
        (r"costs $5", "costs $5"),
    ],
)
def test_latex_math_segments_lose_their_dollars(latex, text):
    assert latex_to_unicode(latex) == text


def test_latex_superscript_without_markup_is_plain_digits():
    assert latex_to_unicode(r"$^{13}$C", markup=False) == "13C"
