"""Exports say what the record says (issue 14): printed names and particles, et al., every type
both ways, containers, contributors, the fields of non-article records, keys, printed pages."""

import json

import pytest
import rispy

from catalogue.formats.bibtex import Name, parse_text
from catalogue.formats.bibtex import writer as bibtex_writer
from catalogue.formats.bibtex.fields import OUTPUT_TYPES
from catalogue.formats.bibtex.names import parse_names
from catalogue.formats.csl_json import article_to_csl, csl_json_item
from catalogue.formats.metadata import coins, highwire_tags, json_ld_data
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.formats.ris import ET_AL_NOTE, ris_entry
from catalogue.models import ContributorRole, OutputType
from catalogue.records import ArticleRecord
from tests.responses import parse_bibtex


def make_record(**fields) -> ArticleRecord:
    fields.setdefault("pk", 1)
    fields.setdefault("title", "An article")
    return ArticleRecord(**fields)


def bibtex_fields(record: ArticleRecord, key: str = "K") -> tuple[str, dict]:
    """Return (entry type, fields) of the record's BibTeX as bibtexparser reads it."""
    [entry] = parse_bibtex(bibtex_writer.bibtex_entry(record, key=key)).entries
    return entry.entry_type, {field.key: field.value for field in entry.fields}


def raw_bibtex_fields(record: ArticleRecord) -> dict:
    """Return the written field values as text (names unsplit)."""
    text = bibtex_writer.bibtex_entry(record, key="K")
    fields = {}
    for line in text.splitlines()[1:-1]:
        name, _, value = line.strip().partition(" = ")
        fields[name] = value.rstrip(",")
    return fields


def reparsed(record: ArticleRecord, key: str = "K"):
    """Return the record's BibTeX read back by the catalogue's parser."""
    result = parse_text(bibtex_writer.bibtex_entry(record, key=key), source="export")
    [entry] = result.entries
    return entry


# --- Names: every printed name parses back to its parts ----------------------------------------

NAMES = [
    Name(family="Berg", given="Jan", particle="van der"),
    Name(family="Berg", given="Jan", particle="Van"),
    Name(family="Berg", given="Jan", particle="Van der"),
    Name(family="Fontaine", given="Jean", particle="De la"),
    Name(family="Gogh", given="Vincent", particle="van"),
    Name(family="van Gogh", given="Vincent"),
    Name(family="Ruiz de la Cruz", given="Ana"),
    Name(family="Alembert", given="Jean", particle="d'"),
    Name(family="King", given="Martin Luther", suffix="Jr."),
    Name(family="Doe", suffix="III"),
    Name(family="Plato"),
    Name(family="Del Re", given="A. C."),
    Name(family="Nguyen", given="P"),
    Name(family="Müller Schmied", given="Hannes"),
    Name(family="Smith, Jones", given="Ann"),
    Name(family="Lee", given="Ann, Jr"),
    Name(family="Brand", given="Anders and"),
    Name(corporate="Smith and Sons & Co"),
    Name(corporate="{Braces} Ltd"),
    Name(corporate="\\Backslash Group"),
    Name(corporate="others"),
    Name(given="Madonna", family="Ciccone"),
]


@pytest.mark.parametrize("name", NAMES, ids=lambda name: repr(name))
def test_every_name_parses_back_to_its_parts(name):
    written = bibtex_writer.bibtex_names([name])
    assert parse_names(written) == ([name], False)


@pytest.mark.parametrize(
    ("name", "written"),
    [
        # BibTeX's own forms wherever they parse back: styles read them.
        (Name(family="Berg", given="Jan", particle="van der"), "van der Berg, Jan"),
        (Name(family="Fontaine", given="Jean", particle="De la"), "De la Fontaine, Jean"),
        (Name(family="King", given="Martin Luther", suffix="Jr."), "King, Jr., Martin Luther"),
        (Name(corporate="Smith and Sons & Co"), r"{Smith and Sons \& Co}"),
        # A family name with a lower-case word is braced whole.
        (Name(family="van Gogh", given="Vincent"), "{van Gogh}, Vincent"),
        (Name(family="Doe", suffix="III"), "Doe, III, {}"),
        # A capitalised particle alone cannot be written as BibTeX reads particles: biblatex's
        # extended name format keeps it.
        (
            Name(family="Berg", given="Jan", particle="Van"),
            "family={Berg}, given={Jan}, prefix={Van}, useprefix=true",
        ),
    ],
)
def test_names_are_written_in_the_plainest_form_that_parses_back(name, written):
    assert bibtex_writer.bibtex_names([name]) == written


def test_et_al_ends_the_bibtex_author_list_and_parses_back():
    record = make_record(
        authors=[Name(family="Gosling", given="S"), Name(family="Betts", given="R")], et_al=True
    )
    assert raw_bibtex_fields(record)["author"] == "{Gosling, S and Betts, R and others}"
    entry = reparsed(record)
    assert (entry.authors, entry.et_al) == (record.authors, True)
    assert bibtex_writer.bibtex_entry(make_record(), key="K").count("author") == 0


# --- Every output type both ways ----------------------------------------------------------------

# Output types BibTeX has no entry type for: they export as the nearest one.
NEAREST = {
    OutputType.REVIEW: OutputType.ARTICLE,
    OutputType.EDITORIAL: OutputType.ARTICLE,
    OutputType.LETTER: OutputType.ARTICLE,
    OutputType.COMMENT: OutputType.ARTICLE,
    OutputType.CONFERENCE_ABSTRACT: OutputType.CONFERENCE_PAPER,
}


@pytest.mark.parametrize("output_type", list(OutputType))
def test_every_output_type_comes_back_as_itself(output_type):
    record = make_record(output_type=output_type, year=2020)
    entry = reparsed(record)
    assert OUTPUT_TYPES[entry.entry_type] == NEAREST.get(output_type, output_type)
    assert entry.output_type == NEAREST.get(output_type, output_type)


@pytest.mark.parametrize(
    ("record", "entry_type"),
    [
        (make_record(output_type=OutputType.PREPRINT), "unpublished"),
        (
            make_record(output_type=OutputType.PREPRINT, eprint="2101.00001", eprint_type="arXiv"),
            "misc",
        ),
        (make_record(output_type=OutputType.THESIS, genre="PhD thesis"), "phdthesis"),
        (make_record(output_type=OutputType.THESIS, genre="Master's thesis"), "mastersthesis"),
        (make_record(output_type=OutputType.DATASET), "dataset"),
        (make_record(output_type=OutputType.WEBPAGE), "online"),
    ],
)
def test_entry_types_of_preprints_theses_datasets_and_web_pages(record, entry_type):
    assert bibtex_fields(record)[0] == entry_type
    assert reparsed(record).output_type == record.output_type


# --- Containers, contributors and the fields of books, chapters, reports ----------------------

EDITORS = [Name(family="Berg", given="Jan", particle="van der"), Name(family="Ng", given="Kim")]


def chapter() -> ArticleRecord:
    return make_record(
        output_type=OutputType.CHAPTER,
        title="A chapter",
        journal_title="The Handbook",
        authors=[Name(family="Lee", given="Ann")],
        contributors={
            ContributorRole.EDITOR: EDITORS,
            ContributorRole.BOOK_AUTHOR: [Name(family="Book", given="Bo")],
            ContributorRole.TRANSLATOR: [Name(family="Tr", given="Tom")],
            ContributorRole.SERIES_EDITOR: [Name(family="Series", given="Sue")],
            ContributorRole.COMPILER: [Name(family="Comp", given="Cy")],
            ContributorRole.FOREWORD: [Name(family="Fore", given="Fay")],
        },
        edition="2nd",
        series="Lecture Notes",
        series_number="12",
        chapter="3",
        place="Berlin",
        publisher="Springer",
        isbn="978-3-16-148410-0",
        pages="xii–xv",
        year=2019,
    )


def test_bibtex_writes_the_container_contributors_and_book_fields():
    entry_type, fields = bibtex_fields(chapter())
    raw = raw_bibtex_fields(chapter())
    assert entry_type == "incollection"
    assert fields["booktitle"] == "The Handbook"
    assert "journal" not in fields
    assert raw["editor"] == "{van der Berg, Jan and Ng, Kim}"
    assert raw["bookauthor"] == "{Book, Bo}"
    assert raw["translator"] == "{Tr, Tom}"
    assert raw["serieseditor"] == "{Series, Sue}"
    assert (raw["editora"], raw["editoratype"]) == ("{Comp, Cy}", "{compiler}")
    assert raw["foreword"] == "{Fore, Fay}"
    assert (fields["edition"], fields["series"], fields["number"]) == ("2nd", "Lecture Notes", "12")
    assert (fields["chapter"], fields["address"], fields["publisher"]) == (
        "3",
        "Berlin",
        "Springer",
    )
    assert (fields["isbn"], fields["pages"]) == ("978-3-16-148410-0", "xii--xv")


def test_a_books_own_book_title_is_booktitle_and_a_papers_journal_stays_journal():
    book = make_record(output_type=OutputType.BOOK, book_title="Collected Works")
    assert bibtex_fields(book)[1]["booktitle"] == "Collected Works"
    paper = make_record(
        output_type=OutputType.CONFERENCE_PAPER, journal_title="Proc. X", book_title="Vol. 2"
    )
    fields = bibtex_fields(paper)[1]
    assert (fields["journal"], fields["booktitle"]) == ("Proc. X", "Vol. 2")


@pytest.mark.parametrize(
    ("output_type", "fields", "written"),
    [
        (OutputType.ARTICLE, {"issue": "4B"}, {"number": "4B"}),
        (
            OutputType.REPORT,
            {"report_number": "TR-7", "issue": "2"},
            {"number": "TR-7", "issue": "2"},
        ),
        (OutputType.BOOK, {"series_number": "12"}, {"number": "12"}),
        (OutputType.CONFERENCE_PAPER, {"issue": "1–3"}, {"issue": "1–3"}),
    ],
)
def test_number_is_the_issue_report_number_or_series_number_by_type(output_type, fields, written):
    got = bibtex_fields(make_record(output_type=output_type, **fields))[1]
    assert {name: got.get(name) for name in written} == written


def test_report_and_thesis_fields():
    report = make_record(
        output_type=OutputType.REPORT,
        publisher="CERN",
        genre="Technical Report",
        howpublished="Online",
    )
    fields = bibtex_fields(report)[1]
    assert (fields["institution"], fields["type"], fields["howpublished"]) == (
        "CERN",
        "Technical Report",
        "Online",
    )
    thesis = make_record(output_type=OutputType.THESIS, publisher="MIT", genre="PhD thesis")
    assert bibtex_fields(thesis)[1]["school"] == "MIT"


def test_eprint_accessed_and_pmid():
    record = make_record(
        output_type=OutputType.PREPRINT,
        eprint="2101.00001",
        eprint_type="arXiv",
        eprint_class="cs.CL",
        accessed="2020-05-01",
        pmid="123",
    )
    fields = bibtex_fields(record)[1]
    assert (fields["eprint"], fields["archiveprefix"], fields["primaryclass"]) == (
        "2101.00001",
        "arXiv",
        "cs.CL",
    )
    assert (fields["urldate"], fields["pmid"]) == ("2020-05-01", "123")
    pubmed = make_record(eprint="123", eprint_type="pubmed", pmid="123")
    fields = bibtex_fields(pubmed)[1]
    assert (fields["eprint"], fields["eprinttype"], "pmid" in fields) == ("123", "pubmed", False)


@pytest.mark.parametrize(
    ("record", "written"),
    [
        (make_record(year=1978, date_text="1978/79"), {"year": "1978/79"}),
        (make_record(date_text="300 BC"), {"year": "300 BC"}),
        (make_record(year=2019, month=5, date_text="2019-05/2019-06"), {"date": "2019-05/2019-06"}),
        (
            make_record(year=2019, month=5, day=3),
            {"year": "2019", "month": 5, "date": "2019-05-03"},
        ),
    ],
)
def test_dates_as_written(record, written):
    fields = bibtex_fields(record)[1]
    assert {name: fields.get(name) for name in ("year", "month", "date")} == {
        "year": None,
        "month": None,
        "date": None,
    } | written


# --- Pages as printed, in every format ----------------------------------------------------------

PAGES = [
    ("311–325", "311--325", "311", "325"),
    ("052102", "052102", "052102", ""),
    ("E3313–E3322", "E3313--E3322", "E3313", "E3322"),
    ("123–", "123--", "123", ""),
    ("xii–xv", "xii--xv", "xii", "xv"),
]


@pytest.mark.parametrize(("pages", "bibtex", "first", "last"), PAGES)
def test_pages_as_printed_in_every_format(pages, bibtex, first, last):
    record = make_record(pages=pages, journal_title="J", year=2020)
    assert raw_bibtex_fields(record)["pages"] == "{" + bibtex + "}"
    assert reparsed(record).pages == pages
    ris = rispy.loads(ris_entry(record, key="K"))[0]
    assert (ris.get("start_page"), ris.get("end_page", "")) == (first, last)
    item = article_to_csl(record)
    assert (item["page"], item["page-first"]) == (pages, first)
    tags = dict(highwire_tags(record))
    assert (tags["citation_firstpage"], tags.get("citation_lastpage", "")) == (first, last)
    assert f"rft.pages={pages}" in coins(record).replace("%E2%80%93", "–")
    data = json_ld_data(record, url="https://x/")
    assert (data["pageStart"], data.get("pageEnd", ""), data["pagination"]) == (first, last, pages)


def test_issue_as_printed_in_every_format():
    record = make_record(issue="4B", journal_title="J")
    assert raw_bibtex_fields(record)["number"] == "{4B}"
    assert rispy.loads(ris_entry(record, key="K"))[0]["number"] == "4B"
    assert article_to_csl(record)["issue"] == "4B"


# --- CSL-JSON -----------------------------------------------------------------------------------


def test_csl_json_names_containers_and_book_fields():
    item = article_to_csl(chapter())
    assert item["type"] == "chapter"
    assert item["container-title"] == "The Handbook"
    assert item["editor"] == [
        {"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"},
        {"family": "Ng", "given": "Kim"},
    ]
    assert item["container-author"] == [{"family": "Book", "given": "Bo"}]
    assert item["translator"] == [{"family": "Tr", "given": "Tom"}]
    assert item["collection-editor"] == [{"family": "Series", "given": "Sue"}]
    assert item["compiler"] == [{"family": "Comp", "given": "Cy"}]
    assert item["contributor"] == [{"family": "Fore", "given": "Fay"}]
    assert (item["collection-title"], item["collection-number"]) == ("Lecture Notes", "12")
    assert (item["edition"], item["chapter-number"], item["publisher-place"]) == (
        "2nd",
        "3",
        "Berlin",
    )
    assert item["ISBN"] == "978-3-16-148410-0"


def test_csl_json_book_title_is_the_container_of_a_chapter_without_a_journal():
    item = article_to_csl(make_record(output_type=OutputType.CHAPTER, book_title="The Big Book"))
    assert item["container-title"] == "The Big Book"


def test_csl_json_a_books_own_book_title_is_no_container():
    # As a container, APA cited an edited book "In R. Roe (Ed.), Collected Works".
    item = article_to_csl(make_record(output_type=OutputType.BOOK, book_title="Collected Works"))
    assert "container-title" not in item


def test_csl_json_et_al_is_a_final_others_name():
    record = make_record(authors=[Name(family="Smith", given="J")], et_al=True)
    assert article_to_csl(record)["author"] == [
        {"family": "Smith", "given": "J"},
        {"literal": "others"},
    ]


def test_csl_json_dates_eprint_and_report_number():
    record = make_record(
        output_type=OutputType.REPORT,
        year=1978,
        date_text="1978/79",
        accessed="2020-05-01",
        report_number="TR-7",
        genre="Technical report",
        eprint="2101.00001",
        eprint_type="arXiv",
        eprint_class="cs.CL",
    )
    item = article_to_csl(record)
    assert item["issued"] == {"date-parts": [[1978]], "literal": "1978/79"}
    assert item["accessed"] == {"date-parts": [[2020, 5, 1]]}
    assert (item["number"], item["genre"]) == ("TR-7", "Technical report")
    assert (item["archive"], item["archive_location"]) == ("arXiv", "2101.00001 [cs.CL]")
    assert item["URL"] == "https://arxiv.org/abs/2101.00001"
    ranged = article_to_csl(make_record(year=2019, month=5, date_text="2019-05/2019-06"))
    assert ranged["issued"] == {"date-parts": [[2019, 5], [2019, 6]]}
    undated = article_to_csl(make_record(date_text="300 BC", accessed="spring 2020"))
    assert (undated["issued"], undated["accessed"]) == (
        {"literal": "300 BC"},
        {"literal": "spring 2020"},
    )


# --- RIS ----------------------------------------------------------------------------------------


def test_ris_contributors_containers_and_book_fields():
    ris = rispy.loads(ris_entry(chapter(), key="Lee2019"))[0]
    assert ris["id"] == "Lee2019"
    assert ris["authors"] == ["Lee, Ann"]
    assert ris["secondary_authors"] == ["van der Berg, Jan", "Ng, Kim"]
    assert ris["tertiary_authors"] == ["Series, Sue"]
    assert ris["subsidiary_authors"] == ["Tr, Tom"]
    assert ris["secondary_title"] == "The Handbook"
    assert ris["tertiary_title"] == "Lecture Notes"
    assert (ris["edition"], ris["place_published"], ris["issn"]) == (
        "2nd",
        "Berlin",
        "978-3-16-148410-0",
    )
    assert (ris["start_page"], ris["end_page"]) == ("xii", "xv")


def test_ris_says_an_author_list_is_incomplete_in_a_note():
    record = make_record(authors=[Name(family="Smith", given="J")], et_al=True)
    ris = rispy.loads(ris_entry(record, key="K"))[0]
    assert ris["authors"] == ["Smith, J"]
    assert ET_AL_NOTE in ris["notes"]


# --- Keys -------------------------------------------------------------------------------------


def test_every_format_uses_the_stored_key_suffixed_only_on_a_collision():
    first = make_record(pk=1, citation_key="smith:2020", authors=[Name(family="Smith")], year=2020)
    again = make_record(pk=2, citation_key="smith:2020", authors=[Name(family="Smith")], year=2020)
    unkeyed = make_record(pk=3, authors=[Name(family="Jones")], year=2021)
    records = [first, again, unkeyed]
    bibtex = "".join(EXPORT_FORMATS["bibtex"].stream(records))
    assert [entry.key for entry in parse_bibtex(bibtex).entries] == [
        "smith:2020",
        "smith:2020a",
        "Jones2021",
    ]
    ris = rispy.loads("".join(EXPORT_FORMATS["ris"].stream(records)))
    assert [entry["id"] for entry in ris] == ["smith:2020", "smith:2020a", "Jones2021"]
    items = json.loads("".join(EXPORT_FORMATS["csl-json"].stream(records)))
    assert [(item["id"], item["citation-key"]) for item in items] == [
        ("smith:2020", "smith:2020"),
        ("smith:2020a", "smith:2020a"),
        ("Jones2021", "Jones2021"),
    ]
    assert article_to_csl(first)["citation-key"] == "smith:2020"
    assert csl_json_item(first, key="X")["citation-key"] == "X"
    # A file name keeps letters, digits, dots, hyphens and underscores of the key.
    assert EXPORT_FORMATS["bibtex"].filename(first) == "smith-2020.bib"
