"""Unit tests for the record-fidelity rules of the BibTeX parser (issue 14): one rule per test.

Pages and issues as printed, numbers by entry type, dates as written, containers and the
rest of a non-article record, every contributor role, names as printed, math that cannot
be decoded and encoding headers that cannot be followed.
"""

import pytest

from catalogue.formats.bibtex import Name, latex_to_unicode, parse_bytes, parse_names
from catalogue.formats.bibtex.latex import undecodable_math
from tests.test_bibtex import make_entry, messages

# --- pages, issues, numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "printed", "first", "last", "count"),
    [
        ("{311--325}", "311–325", 311, 325, 15),
        ("{311---325}", "311–325", 311, 325, 15),
        ("{311 -- 325}", "311–325", 311, 325, 15),
        ("{052102}", "052102", None, None, None),
        ("{E3313--E3322}", "E3313–E3322", None, None, None),
        ("{123--}", "123–", None, None, None),
        ("{xii--xv}", "xii–xv", None, None, None),
        ("{S-12-S-15}", "S-12-S-15", None, None, None),
        ("{pp.~12--14}", "12–14", 12, 14, 3),
        ("{e1002345}", "e1002345", None, None, None),
    ],
)
def test_pages_are_kept_as_printed(pages, printed, first, last, count):
    entry = make_entry(fields={"pages": pages})
    assert (entry.pages, entry.first_page, entry.last_page, entry.page_count) == (
        printed,
        first,
        last,
        count,
    )
    assert (entry.article_number, entry.issue) == ("", "")


def test_pages_never_become_an_article_number():
    entry = make_entry(fields={"pages": "{E3313--E3322}", "number": "{4B}"})
    assert (entry.pages, entry.issue, entry.article_number) == ("E3313–E3322", "4B", "")


@pytest.mark.parametrize(
    ("fields", "article_number"),
    [
        ({"eid": "{e1002345}", "pages": "{1--12}"}, "e1002345"),
        ({"articleno": "{42}"}, "42"),
        ({"article-number": "{115701}"}, "115701"),
    ],
)
def test_article_number_only_from_its_own_fields(fields, article_number):
    assert make_entry(fields=fields).article_number == article_number


def test_page_count_from_numpages_wins_over_the_range():
    entry = make_entry(fields={"pages": "{1--10}", "numpages": "{12}"})
    assert (entry.pages, entry.page_count) == ("1–10", 12)


def test_very_long_pages_are_left_empty_with_a_warning():
    entry = make_entry(fields={"pages": "{" + "see the appendix " * 10 + "}"})
    assert entry.pages == ""
    assert messages(entry) == [
        "Pages `see the appendix see the appendix see the appendix see the appendix see the "
        "appe...` are too long to be pages: left empty."
    ]


@pytest.mark.parametrize(
    ("number", "issue"),
    [("{1--3}", "1–3"), ("{4B}", "4B"), ("{Suppl. 2}", "Suppl. 2"), ("{3-4}", "3-4")],
)
def test_issue_as_printed(number, issue):
    entry = make_entry(fields={"number": number})
    assert (entry.issue, entry.article_number) == (issue, "")


def test_issue_field_and_number_field():
    assert make_entry(fields={"issue": "{Spring}"}).issue == "Spring"
    entry = make_entry(fields={"number": "{3}", "issue": "{Spring}"})
    assert (entry.issue, entry.warnings) == ("3", [])


@pytest.mark.parametrize(
    ("entry_type", "fields", "expected"),
    [
        ("article", {"number": "{7}"}, ("7", "", "")),
        ("periodical", {"number": "{7}"}, ("7", "", "")),
        ("book", {"number": "{7}", "series": "{LNCS}"}, ("", "7", "")),
        ("inproceedings", {"number": "{7}", "series": "{LNCS}"}, ("", "7", "")),
        ("book", {"number": "{7}"}, ("7", "", "")),
        ("techreport", {"number": "{TR-2001-7}"}, ("", "", "TR-2001-7")),
        ("report", {"number": "{7}", "series": "{Working papers}"}, ("", "", "7")),
    ],
)
def test_number_by_entry_type(entry_type, fields, expected):
    entry = make_entry(entry_type=entry_type, fields=fields)
    assert (entry.issue, entry.series_number, entry.report_number) == expected


# --- dates as written ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "year", "date_text"),
    [
        ({"year": "{2019}"}, 2019, ""),
        ({"year": "2019", "month": "may"}, 2019, ""),
        ({"date": "{2019-05-03}"}, 2019, ""),
        ({"date": "{2019-05}"}, 2019, ""),
        ({"year": "{1978/79}"}, 1978, "1978/79"),
        ({"year": "{1978--79}"}, 1978, "1978–79"),
        ({"year": "{c. 1850}"}, 1850, "c. 1850"),
        ({"year": "{[1850]}"}, 1850, "[1850]"),
        ({"date": "{2019-05/2019-06}"}, 2019, "2019-05/2019-06"),
        ({"year": "{2020}", "month": "{Spring}"}, 2020, "Spring 2020"),
        ({"year": "{2020}", "month": "{-}"}, 2020, ""),
        ({"year": "{in press}"}, None, ""),
        ({"year": "{2020, in press}"}, 2020, ""),
        ({"year": "{n.d.}"}, None, ""),
    ],
)
def test_date_as_written(fields, year, date_text):
    entry = make_entry(fields=fields)
    assert (entry.year, entry.date_text) == (year, date_text)


def test_a_bc_year_is_kept_as_written_and_the_entry_imported():
    entry = make_entry(fields={"year": "{300 BC}"})
    assert (entry.year, entry.date_text, entry.title) == (None, "300 BC", "A title")
    assert messages(entry) == [
        "Date `300 BC` has no year the catalogue can sort by: kept as written."
    ]


# --- containers and the rest of a record -----------------------------------------------------


def test_book_fields_as_printed():
    entry = make_entry(
        entry_type="book",
        fields={
            "booktitle": r"{The {Collected} Works}",
            "edition": "{2nd}",
            "series": r"{Lecture Notes in Computer Science}",
            "number": "{1234}",
            "address": r"{K{\"o}ln}",
            "isbn": "{978-3-16-148410-0}",
            "chapter": "{4}",
            "urldate": "{2020-05-01}",
        },
    )
    assert (entry.book_title, entry.journal_title, entry.edition) == (
        "The Collected Works",
        "",
        "2nd",
    )
    assert (entry.series, entry.series_number, entry.issue) == (
        "Lecture Notes in Computer Science",
        "1234",
        "",
    )
    assert (entry.place, entry.isbn, entry.chapter, entry.accessed) == (
        "Köln",
        "978-3-16-148410-0",
        "4",
        "2020-05-01",
    )


def test_booktitle_of_a_chapter_stays_the_container():
    entry = make_entry(entry_type="incollection", fields={"booktitle": "{The Book}"})
    assert (entry.journal_title, entry.book_title) == ("The Book", "")


def test_booktitle_beside_a_journal_is_kept_as_book_title():
    entry = make_entry(
        entry_type="inproceedings", fields={"journal": "{J. X}", "booktitle": "{Proc. X}"}
    )
    assert (entry.journal_title, entry.book_title) == ("J. X", "Proc. X")


def test_location_is_the_place_and_type_the_genre():
    entry = make_entry(
        entry_type="phdthesis",
        fields={"location": "{Paris}", "type": "{Th{\\`e}se de doctorat}", "school": "{ENS}"},
    )
    assert (entry.place, entry.genre, entry.publisher) == ("Paris", "Thèse de doctorat", "ENS")


def test_howpublished_kept_and_a_bare_url_becomes_the_url_only():
    entry = make_entry(entry_type="misc", fields={"howpublished": "{Blog post}"})
    assert (entry.howpublished, entry.url) == ("Blog post", "")
    entry = make_entry(entry_type="misc", fields={"howpublished": r"{\url{https://a.org/x}}"})
    assert (entry.howpublished, entry.url) == ("", "https://a.org/x")


def test_arxiv_eprint_fields():
    entry = make_entry(
        entry_type="misc",
        fields={"eprint": "{2101.00001}", "archiveprefix": "{arXiv}", "primaryclass": "{cs.CL}"},
    )
    assert (entry.eprint, entry.eprint_type, entry.eprint_class, entry.output_type) == (
        "2101.00001",
        "arXiv",
        "cs.CL",
        "preprint",
    )
    entry = make_entry(
        fields={"eprint": "{2101.00001}", "eprinttype": "{arxiv}", "eprintclass": "{math.CO}"}
    )
    assert (entry.eprint_type, entry.eprint_class) == ("arxiv", "math.CO")


def test_pubmed_eprint_fills_the_pmid_too():
    entry = make_entry(fields={"eprint": "{28481579}", "eprinttype": "{pubmed}"})
    assert (entry.pmid, entry.eprint, entry.eprint_type) == ("28481579", "28481579", "pubmed")


# --- contributors ----------------------------------------------------------------------------


def test_every_contributor_role():
    entry = make_entry(
        entry_type="incollection",
        fields={
            "author": "{Ann Author}",
            "editor": "{Ed One and Ed Two}",
            "translator": "{Tom Translator}",
            "bookauthor": "{Bo Bookauthor}",
            "serieseditor": "{Sue Series}",
            "annotator": "{Ann Otator}",
            "commentator": "{Cy Commentator}",
            "introduction": "{Ivy Intro}",
            "foreword": "{Fay Foreword}",
            "afterword": "{Al Afterword}",
        },
    )
    assert entry.contributors == {
        "editor": [Name(family="One", given="Ed"), Name(family="Two", given="Ed")],
        "translator": [Name(family="Translator", given="Tom")],
        "book-author": [Name(family="Bookauthor", given="Bo")],
        "series-editor": [Name(family="Series", given="Sue")],
        "annotator": [Name(family="Otator", given="Ann")],
        "commentator": [Name(family="Commentator", given="Cy")],
        "introduction": [Name(family="Intro", given="Ivy")],
        "foreword": [Name(family="Foreword", given="Fay")],
        "afterword": [Name(family="Afterword", given="Al")],
    }
    assert entry.editors == entry.contributors["editor"]
    assert entry.authors == [Name(family="Author", given="Ann")]
    assert entry.warnings == []


def test_biblatex_editor_types():
    entry = make_entry(
        entry_type="book",
        fields={
            "editor": "{Ed Itor}",
            "editora": "{Com Piler}",
            "editoratype": "{compiler}",
            "editorb": "{Tra Nslator}",
            "editorbtype": "{translator}",
            "editorc": "{Fou Nder}",
            "editorctype": "{founder}",
        },
    )
    assert entry.contributors == {
        "editor": [Name(family="Itor", given="Ed"), Name(family="Nder", given="Fou")],
        "compiler": [Name(family="Piler", given="Com")],
        "translator": [Name(family="Nslator", given="Tra")],
    }
    assert messages(entry) == [
        "`editorctype = founder` is not a role the catalogue knows: "
        "the names in `editorc` were read as editors."
    ]


def test_editortype_compiler_moves_the_editors():
    entry = make_entry(
        entry_type="book", fields={"editor": "{Com Piler}", "editortype": "{compiler}"}
    )
    assert (entry.contributors, entry.editors) == (
        {"compiler": [Name(family="Piler", given="Com")]},
        [],
    )


def test_a_book_with_only_editors_keeps_them():
    entry = make_entry(entry_type="book", fields={"editor": r"{van der Berg, Jan and Doe, J.}"})
    assert entry.contributors == {
        "editor": [
            Name(family="Berg", given="Jan", particle="van der"),
            Name(family="Doe", given="J."),
        ]
    }


def test_editors_and_others_warns():
    entry = make_entry(entry_type="book", fields={"editor": "{Ed Itor and others}"})
    assert entry.editors == [Name(family="Itor", given="Ed")]
    assert messages(entry) == [
        "`editor` ends with `and others`: the catalogue keeps that only for authors, "
        "so the list reads as complete."
    ]


def test_authors_and_others_is_et_al():
    entry = make_entry(fields={"author": "{Jane Doe and others}"})
    assert (entry.authors, entry.et_al) == ([Name(family="Doe", given="Jane")], True)


# --- names as printed ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (r"{van der Berg}, J.", Name(family="van der Berg", given="J.")),
        (r"van der Berg, J.", Name(family="Berg", given="J.", particle="van der")),
        (r"Jan van der Berg", Name(family="Berg", given="Jan", particle="van der")),
        (r"{\relax Ch}ristopher Smith", Name(family="Smith", given="Christopher")),
        (r"J.-P. Sartre", Name(family="Sartre", given="J.-P.")),
        (r"Sartre, J.-P.", Name(family="Sartre", given="J.-P.")),
        (r"{World Health Organization}", Name(corporate="World Health Organization")),
        (r"{Barnes and Noble}", Name(corporate="Barnes and Noble")),
        (r"{\'E}douard Manet", Name(family="Manet", given="Édouard")),
        (r"D\'{\i}az, M.", Name(family="Díaz", given="M.")),
        (r"{\v S}koda, A.", Name(family="Škoda", given="A.")),
        (r"Smith, Jr., John", Name(family="Smith", given="John", suffix="Jr.")),
        (r"{von Neumann}, John", Name(family="von Neumann", given="John")),
        (r"Brinch Hansen, Per", Name(family="Brinch Hansen", given="Per")),
        (r"de la Fontaine, Jean", Name(family="Fontaine", given="Jean", particle="de la")),
        (r"{\'{E}}mile Zola", Name(family="Zola", given="Émile")),
        # A control space separates words, as in BibTeX: "A. L.\ Thiele".
        (r"Christina A. L.\ Thiele", Name(family="Thiele", given="Christina A. L.")),
        (r"Ar{\i}kan, E", Name(family="Arıkan", given="E")),
    ],
)
def test_names_are_parsed_as_printed(value, name):
    assert parse_names(value) == ([name], False)


# --- LaTeX leftovers and encoding headers ----------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"$\frob{x}$", r"$\frob{x}$"),
        (r"on $\frac{a+1}{b}$ and $\beta$", r"on $\frac{a+1}{b}$ and β"),
        (r"\(\frob x\) y", r"\(\frob x\) y"),
        (r"$\mathrm{sin}\left(x\right)$", "sin(x)"),
        (r"$17+29i\in \mathbb{C}$", r"$17+29i\in \mathbb{C}$"),
        (r"\$5 and \$\frob{x}\$", "$5 and $x$"),  # escaped dollars are not math
    ],
)
def test_latex_math_that_cannot_be_decoded_is_kept_as_written(latex, text):
    assert latex_to_unicode(latex) == text


def test_undecodable_math_is_listed():
    assert undecodable_math(r"$\frob{x}$ and $\beta$ and \(\frac12\)") == [
        r"$\frob{x}$",
        r"\(\frac12\)",
    ]
    assert undecodable_math(r"$\beta$ and \frob{x}") == []


def test_undecodable_math_warns_on_the_entry():
    entry = make_entry(title=r"{On $\frob{x}$-spaces}", fields={"note": r"{$\frob{y}$}"})
    assert (entry.title, entry.note) == (r"On $\frob{x}$-spaces", r"$\frob{y}$")
    assert messages(entry) == [
        r"`title`: the math `$\frob{x}$` could not be turned into plain text and was kept "
        "as written.",
        r"`note`: the math `$\frob{y}$` could not be turned into plain text and was kept "
        "as written.",
    ]


@pytest.mark.parametrize(
    ("header", "line", "reason"),
    [
        (
            "% -*- coding: no-such-codec -*-\n",
            1,
            "`no-such-codec` is not an encoding the catalogue knows",
        ),
        ("%\n% !TeX encoding = UTF-8\n", 2, "the file is not in `UTF-8` (byte 46 does not fit it)"),
    ],
)
def test_an_encoding_header_that_cannot_be_followed_warns(header, line, reason):
    text = header + "@article{k, title={Über Straße – café}}\n"
    result = parse_bytes(text.encode("cp1252"), source="a.bib")
    assert (result.encoding, result.entries[0].title) == ("cp1252", "Über Straße – café")
    assert [(p.line, p.severity, p.message, p.source) for p in result.problems] == [
        (
            line,
            "warning",
            f"The encoding header on line {line} was not followed: {reason}; the file was "
            "read as cp1252, detected from its bytes (check its accented letters).",
            "a.bib",
        )
    ]


def test_an_encoding_header_that_is_followed_does_not_warn():
    text = "% -*- coding: latin-2 -*-\n@article{k, title={Žluťoučký kůň}}\n"
    result = parse_bytes(text.encode("iso8859-2"))
    assert (result.encoding, result.problems) == ("iso8859-2", [])
