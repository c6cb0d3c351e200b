"""Exports (catalogue.formats): BibTeX, RIS, CSL-JSON parsed back by real parsers, one or many."""

import json
import types

import pytest
import rispy
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pylatexenc.latex2text import LatexNodes2Text

from catalogue.formats import ris
from catalogue.formats.bibtex import Name
from catalogue.formats.bibtex import writer as bibtex_writer
from catalogue.formats.bibtex.writer import rich_text_to_latex
from catalogue.formats.csl_json import article_to_csl
from catalogue.formats.registry import (
    EXPORT_FORMATS,
    UnknownExportFormat,
    article_to_bibtex,
    article_to_csl_json,
    article_to_ris,
    export_format_for_media_type,
    get_export_format,
    stream_bibtex,
    stream_csl_json,
    stream_ris,
)
from catalogue.models import (
    Article,
    Author,
    Authorship,
    Journal,
    Keyword,
    OutputType,
    PublicationState,
)
from catalogue.records import ArticleRecord, citation_key
from tests.responses import parse_bibtex


def make_article(*, authors=(), keywords=(), journal=None, **fields) -> Article:
    """Return a saved article; `authors` are Author field dicts, in order."""
    fields.setdefault("title", "An article")
    article = Article.objects.create(journal=journal, **fields)
    for position, author_fields in enumerate(authors, start=1):
        author = Author.objects.create(**author_fields)
        Authorship.objects.create(article=article, author=author, position=position)
    for term in keywords:
        article.keywords.add(Keyword.objects.create(term=term))
    return Article.objects.with_related().get(pk=article.pk)


def make_record(**fields) -> ArticleRecord:
    """Return an unsaved record (no database) with the given fields."""
    fields.setdefault("pk", 1)
    fields.setdefault("title", "An article")
    return ArticleRecord(**fields)


def fields_of(entry) -> dict:
    return {field.key: field.value for field in entry.fields}


def latex_to_text(latex: str) -> str:
    return LatexNodes2Text().latex_to_text(latex)


@pytest.fixture
def seed_article(seed):
    return Article.objects.with_related().get(pk=1)


# --- BibTeX --------------------------------------------------------------------------------------


def test_bibtex_of_the_seed_article(seed_article):
    library = parse_bibtex(article_to_bibtex(seed_article))
    [entry] = library.entries
    assert entry.entry_type == "article"
    assert entry.key == "ZilchaMano2017"
    fields = fields_of(entry)
    assert [(name.last, name.first) for name in fields.pop("author")] == [
        (["Zilcha-Mano"], ["Sigal"])
    ]
    assert fields.pop("abstract") == " ".join(seed_article.abstract.split())
    assert fields == {
        "title": "Is the alliance really therapeutic? {Revisiting} this question in light of "
        "recent methodological advances",
        "journal": "American Psychologist",
        "shortjournal": "Am Psychol",
        "year": "2017",
        "month": 5,
        "volume": "72",
        "number": "4",
        "pages": "311--325",
        "publisher": "American Psychological Association",
        "doi": "10.1037/a0040435",
        "issn": "0003-066X, 1935-990X",
        "keywords": "Active therapeutic ingredients, Alliance, Alliance-outcome association, "
        "Psychotherapy process research",
        "language": "english",
        "note": "Publisher Copyright: © 2017 American Psychological Association.",
    }


def test_bibtex_month_is_the_bare_macro(seed_article):
    text = article_to_bibtex(seed_article)
    assert "  month = may,\n" in text
    assert "  pages = {311--325},\n" in text
    assert text.startswith("@article{ZilchaMano2017,\n")
    assert text.endswith("\n}\n")


def test_bibtex_special_characters_are_escaped_outside_url_and_doi():
    record = make_record(
        title="R&D at 50% for $5: #1 a_b {x} ~y^ \\z <w>",
        journal_title="Research & Practice",
        doi="10.1000/a_b%25#c",
        url="https://example.org/a_b?x=1&y=2%20#frag",
        note="100% & more",
        keywords=["R&D", "x_y"],
    )
    fields = fields_of(parse_bibtex(bibtex_writer.bibtex_entry(record, key="K")).entries[0])
    assert fields["title"] == (
        r"{R\&D} at 50\% for \$5: \#1 a\_b \{x\} \textasciitilde{}y\textasciicircum{} "
        r"\textbackslash{}z \textless{}w\textgreater{}"
    )
    assert fields["journal"] == r"Research \& Practice"
    assert fields["doi"] == "10.1000/a_b%25#c"
    assert fields["url"] == "https://example.org/a_b?x=1&y=2%20#frag"
    assert fields["note"] == r"100\% \& more"
    assert fields["keywords"] == r"R\&D, x\_y"
    # LaTeX reads the escaped title back as the original text (pylatexenc has no
    # \textless, \textgreater or \textasciicircum, so those are left out here).
    plain = "R&D at 50% for $5: #1 a_b {x} ~y \\z"
    readback = bibtex_writer.bibtex_entry(make_record(title=plain), key="K")
    assert latex_to_text(fields_of(parse_bibtex(readback).entries[0])["title"]) == plain


@pytest.mark.parametrize(
    ("title", "latex"),
    [
        # The first word keeps a plain initial capital; other capitalised words are braced.
        ("The DNA of iPhone users in Zürich", "The {DNA} of {iPhone} users in {Zürich}"),
        ("DNA repair: A review", "{DNA} repair: {A} review"),
        ("all lower case", "all lower case"),
        (
            "Effects of <i>Escherichia coli</i> on CO<sub>2</sub>",
            r"Effects of \textit{{Escherichia} coli} on {CO}\textsubscript{2}",
        ),
        ("x<sup>2</sup> and <b>Bold</b>", r"x\textsuperscript{2} and \textbf{{Bold}}"),
        ('A <span class="nocase">pH</span> test', "A {pH} test"),
        (
            '<span style="font-variant:small-caps;">Caps</span>',
            r"\textsc{Caps}",
        ),
        # Unbalanced markup never unbalances braces.
        ("open <i>italics", r"open \textit{italics}"),
        ("stray </i> closing", "stray  closing"),
        (
            "unknown <script>x</script>",
            r"unknown \textless{}script\textgreater{}x\textless{}/script\textgreater{}",
        ),
    ],
)
def test_bibtex_titles_protect_case_and_convert_markup(title, latex):
    assert rich_text_to_latex(title, protect=True) == latex
    assert latex.count("{") - latex.count(r"\{") == latex.count("}") - latex.count(r"\}")


def test_bibtex_title_reads_back_as_the_plain_title():
    latex = rich_text_to_latex(
        "Über die Allianz: Naïve ratings in Zürich & <i>Bern</i>", protect=True
    )
    assert latex == r"Über die {Allianz}: {Naïve} ratings in {Zürich} \& \textit{{Bern}}"
    assert latex_to_text(latex) == "Über die Allianz: Naïve ratings in Zürich & Bern"


def test_bibtex_names_with_particles_suffixes_and_corporate_authors():
    record = make_record(
        authors=[
            Name(family="Berg", given="Anna", particle="van der"),
            Name(family="King", given="Martin Luther", suffix="Jr."),
            Name(corporate="Smith and Sons & Co"),
            Name(family="Plato"),
            Name(family="Del Re", given="A. C."),
        ]
    )
    text = bibtex_writer.bibtex_entry(record, key="K")
    assert (
        "  author = {van der Berg, Anna and King, Jr., Martin Luther and "
        r"{Smith and Sons \& Co} and Plato and Del Re, A. C.},"
    ) in text
    [entry] = parse_bibtex(text).entries
    names = [(n.von, n.last, n.jr, n.first) for n in fields_of(entry)["author"]]
    assert names == [
        (["van", "der"], ["Berg"], [], ["Anna"]),
        ([], ["King"], ["Jr."], ["Martin", "Luther"]),
        ([], [r"{Smith and Sons \& Co}"], [], []),
        ([], ["Plato"], [], []),
        ([], ["Del", "Re"], [], ["A.", "C."]),
    ]


@pytest.mark.parametrize(
    ("output_type", "entry_type", "container_field", "publisher_field"),
    [
        (OutputType.ARTICLE, "article", "journal", "publisher"),
        (OutputType.REVIEW, "article", "journal", "publisher"),
        (OutputType.CONFERENCE_PAPER, "inproceedings", "booktitle", "publisher"),
        (OutputType.CHAPTER, "incollection", "booktitle", "publisher"),
        (OutputType.BOOK, "book", "journal", "publisher"),
        (OutputType.REPORT, "techreport", "journal", "institution"),
        (OutputType.THESIS, "phdthesis", "journal", "school"),
        (OutputType.PREPRINT, "unpublished", "journal", "publisher"),
        (OutputType.DATASET, "dataset", "journal", "publisher"),
        (OutputType.WEBPAGE, "online", "journal", "publisher"),
        (OutputType.OTHER, "misc", "journal", "publisher"),
    ],
)
def test_bibtex_entry_types(output_type, entry_type, container_field, publisher_field):
    # A container the catalogue keeps as the journal is `journal` (the parser reads it back
    # as the journal for every type), or `booktitle` for papers and chapters.
    record = make_record(output_type=output_type, journal_title="Container", publisher="Pub")
    [entry] = parse_bibtex(bibtex_writer.bibtex_entry(record, key="K")).entries
    fields = fields_of(entry)
    assert entry.entry_type == entry_type
    assert fields[publisher_field] == "Pub"
    assert fields[container_field] == "Container"


def test_bibtex_article_number_pmid_and_in_press():
    record = make_record(
        article_number="e0123",
        pmid="28481579",
        state=PublicationState.ACCEPTED,
        authors=[Name(family="Lee", given="Kevin")],
    )
    [entry] = parse_bibtex(bibtex_writer.bibtex_entry(record, key="K")).entries
    fields = fields_of(entry)
    # An article number is biblatex's `eid`; `pages` holds printed pages only.
    assert fields["eid"] == "e0123"
    assert "pages" not in fields
    # A PMID is its own field unless the record's e-print is that PubMed id.
    assert fields["pmid"] == "28481579"
    assert "eprint" not in fields
    assert fields["pubstate"] == "inpress"
    assert fields["note"] == "In press"
    assert "year" not in fields
    assert citation_key(record) == "LeeInPress"


# --- RIS -----------------------------------------------------------------------------------------


def test_ris_of_the_seed_article(seed_article):
    text = article_to_ris(seed_article)
    assert text.startswith("TY  - JOUR\r\n")
    assert text.endswith("ER  - \r\n\r\n")
    assert "\n" not in text.replace("\r\n", "")
    [record] = rispy.loads(text)
    assert record.pop("abstract") == " ".join(seed_article.abstract.split())
    assert record == {
        "type_of_reference": "JOUR",
        "id": "ZilchaMano2017",
        "authors": ["Zilcha-Mano, Sigal"],
        "title": "Is the alliance really therapeutic? Revisiting this question in light of "
        "recent methodological advances",
        "secondary_title": "American Psychologist",
        "journal_name": "Am Psychol",
        "year": "2017",
        "date": "2017/05//",
        "volume": "72",
        "number": "4",
        "start_page": "311",
        "end_page": "325",
        "publisher": "American Psychological Association",
        "issn": "0003-066X; 1935-990X",
        "doi": "10.1037/a0040435",
        "keywords": [
            "Active therapeutic ingredients",
            "Alliance",
            "Alliance-outcome association",
            "Psychotherapy process research",
        ],
        "language": "en",
        "notes": ["Publisher Copyright: © 2017 American Psychological Association."],
    }


def test_ris_authors_in_order_dates_markup_and_numbers():
    record = make_record(
        title="Effects of <i>E. coli</i> on CO<sub>2</sub>",
        authors=[
            Name(family="King", given="Martin Luther", suffix="Jr."),
            Name(family="Berg", given="Anna", particle="van der"),
            Name(corporate="Open Science Collaboration"),
        ],
        year=2017,
        month=5,
        day=3,
        article_number="aac4716",
        pmid="28481579",
        url="https://example.org/x",
        state=PublicationState.PUBLISHED,
    )
    [parsed] = rispy.loads(ris.ris_entry(record, key="K"))
    assert parsed["authors"] == [
        "King, Martin Luther, Jr.",
        "van der Berg, Anna",
        "Open Science Collaboration",
    ]
    assert parsed["title"] == "Effects of E. coli on CO2"
    assert parsed["date"] == "2017/05/03/"
    assert parsed["start_page"] == "aac4716"
    assert "end_page" not in parsed
    assert parsed["accession_number"] == "28481579"
    assert parsed["urls"] == ["https://example.org/x"]
    year_only = rispy.loads(ris.ris_entry(make_record(year=2015), key="K"))[0]
    assert year_only["date"] == "2015///"
    in_press = make_record(state=PublicationState.IN_PRESS)
    assert rispy.loads(ris.ris_entry(in_press, key="K"))[0]["notes"] == ["In press"]


@pytest.mark.parametrize(
    ("output_type", "ris_type"),
    [
        (OutputType.ARTICLE, "JOUR"),
        (OutputType.LETTER, "JOUR"),
        (OutputType.CONFERENCE_PAPER, "CPAPER"),
        (OutputType.CONFERENCE_ABSTRACT, "ABST"),
        (OutputType.BOOK, "BOOK"),
        (OutputType.CHAPTER, "CHAP"),
        (OutputType.REPORT, "RPRT"),
        (OutputType.THESIS, "THES"),
        (OutputType.PREPRINT, "UNPB"),
        (OutputType.DATASET, "DATA"),
        (OutputType.WEBPAGE, "ELEC"),
        (OutputType.OTHER, "GEN"),
    ],
)
def test_ris_types(output_type, ris_type):
    text = ris.ris_entry(make_record(output_type=output_type), key="K")
    assert rispy.loads(text)[0]["type_of_reference"] == ris_type


def test_every_output_type_has_an_export_type():
    assert set(bibtex_writer.BIBTEX_TYPES) == set(OutputType)
    assert set(ris.RIS_TYPES) == set(OutputType)


def test_ris_values_stay_on_one_line():
    record = make_record(title="Line\none", abstract="Para one.\n\nPara two.", note="a\r\nb")
    [parsed] = rispy.loads(ris.ris_entry(record, key="K"))
    assert parsed["title"] == "Line one"
    assert parsed["abstract"] == "Para one. Para two."
    assert parsed["notes"] == ["a b"]


# --- CSL-JSON ------------------------------------------------------------------------------------


def test_csl_json_of_the_seed_article(seed_article):
    [item] = json.loads(article_to_csl_json(seed_article))
    assert item == article_to_csl(seed_article) | {"id": "ZilchaMano2017"}


# --- Formats, content types, file names ----------------------------------------------------------


def test_formats_content_types_and_file_names(seed_article):
    assert {name: export.content_type for name, export in EXPORT_FORMATS.items()} == {
        "bibtex": "application/x-bibtex; charset=utf-8",
        "ris": "application/x-research-info-systems; charset=utf-8",
        "csl-json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    }
    assert EXPORT_FORMATS["bibtex"].filename(seed_article) == "ZilchaMano2017.bib"
    assert EXPORT_FORMATS["ris"].filename(seed_article) == "ZilchaMano2017.ris"
    assert EXPORT_FORMATS["csl-json"].filename(seed_article) == "ZilchaMano2017.json"
    assert EXPORT_FORMATS["ris"].filename() == "catalogue-export.ris"
    assert EXPORT_FORMATS["bibtex"].filename() == "catalogue-export.bib"


def test_formats_by_name_and_media_type():
    assert get_export_format("ris") is EXPORT_FORMATS["ris"]
    assert export_format_for_media_type("Application/X-BibTeX; charset=utf-8").name == "bibtex"
    assert export_format_for_media_type("application/vnd.citationstyles.csl+json").name == (
        "csl-json"
    )
    assert export_format_for_media_type("text/html") is None
    with pytest.raises(UnknownExportFormat) as raised:
        get_export_format("endnote")
    assert str(raised.value) == (
        "Unknown export format 'endnote'; available formats: bibtex, ris, csl-json."
    )


# --- Streaming -----------------------------------------------------------------------------------


def make_many(count: int) -> None:
    journal = Journal.objects.create(title="Journal of Tests", abbreviated_title="J Tests")
    author = Author.objects.create(family_name="Smith", given_names="Jane")
    articles = Article.objects.bulk_create(
        Article(title=f"Article {index}", journal=journal, year=2020, volume=str(index))
        for index in range(count)
    )
    Authorship.objects.bulk_create(
        Authorship(article=article, author=author, position=1) for article in articles
    )


@pytest.mark.parametrize("stream", [stream_bibtex, stream_ris, stream_csl_json])
def test_streams_are_generators_reading_batch_by_batch(db, stream):
    make_many(25)
    chunks = stream(Article.objects.order_by("pk"), batch_size=10)
    assert isinstance(chunks, types.GeneratorType)
    with CaptureQueriesContext(connection) as queries:
        next(chunks)  # the opening
        next(chunks)  # the first batch: its rows, then its authors, contributors and keywords
        after_one_batch = len(queries)
        next(chunks)
        after_two_batches = len(queries)
    assert after_one_batch == 4
    assert after_two_batches == 7
    rest = list(chunks)
    assert len(rest) == 2  # the third batch and the closing


def test_bibtex_stream_parses_back_with_unique_keys(db):
    make_many(25)
    text = "".join(stream_bibtex(Article.objects.order_by("pk"), batch_size=10))
    library = parse_bibtex(text)
    keys = [entry.key for entry in library.entries]
    assert len(keys) == 25
    assert keys[:3] == ["Smith2020", "Smith2020a", "Smith2020b"]
    assert keys[-1] == "Smith2020x"
    assert len(set(keys)) == 25
    assert [fields_of(entry)["volume"] for entry in library.entries] == [
        str(index) for index in range(25)
    ]


def test_ris_stream_parses_back(db):
    make_many(12)
    text = "".join(stream_ris(Article.objects.order_by("pk"), batch_size=5))
    records = rispy.loads(text)
    assert [record["volume"] for record in records] == [str(index) for index in range(12)]
    assert [record["id"] for record in records][:2] == ["Smith2020", "Smith2020a"]
    assert {record["authors"][0] for record in records} == {"Smith, Jane"}


def test_csl_json_stream_is_one_json_array(db):
    make_many(12)
    items = json.loads("".join(stream_csl_json(Article.objects.order_by("pk"), batch_size=5)))
    assert [item["volume"] for item in items] == [str(index) for index in range(12)]
    assert items[1]["id"] == "Smith2020a"
    assert items[0]["container-title-short"] == "J Tests"


def test_empty_exports_are_valid(db):
    assert json.loads("".join(stream_csl_json(Article.objects.none()))) == []
    assert "".join(stream_bibtex(Article.objects.none())) == ""
    assert rispy.loads("".join(stream_ris(Article.objects.none()))) == []


def test_streams_accept_lists_of_articles(seed):
    articles = list(Article.objects.with_related().order_by("pk"))
    keys = [entry.key for entry in parse_bibtex("".join(stream_bibtex(articles))).entries]
    assert keys == ["ZilchaMano2017", "Cuijpers2019", "Fluckiger2018"]


def test_stream_and_single_exports_agree(seed_article):
    streamed = "".join(stream_bibtex(Article.objects.filter(pk=1)))
    assert streamed == article_to_bibtex(seed_article)
    assert "".join(stream_ris(Article.objects.filter(pk=1))) == article_to_ris(seed_article)
