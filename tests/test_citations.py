"""Formatted citations: CSL-JSON from articles, and output identical to citeproc-js's.

Reference output (tests/data/citations/, see its README) comes from citeproc-js 2.4.63 with the
pinned style files; the engine is that same citeproc-js, run in V8. Each item is compared
twice: as given (the engine), and after being stored as Article rows and read back through
article_to_csl (the real path).
"""

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from catalogue import citations, conf
from catalogue.citations import (
    CitationEngineError,
    StyleError,
    UnknownLocale,
    UnknownStyle,
    engine,
    output,
    render_bibliography,
    render_citation,
    render_citations,
    render_entries,
    stream_bibliography,
    warm_citations,
)
from catalogue.formats import csl_json
from catalogue.formats.csl_json import article_to_csl
from catalogue.models import (
    Article,
    Author,
    Authorship,
    Journal,
    Keyword,
    OutputType,
    PublicationState,
)
from catalogue.records import as_record, generated_key

DATA = Path(__file__).parent / "data" / "citations"
ITEMS = json.loads((DATA / "items.json").read_text())
REFERENCE = json.loads((DATA / "reference.json").read_text())
EXTRA_ITEMS = json.loads((DATA / "extra_items.json").read_text())
EXTRA_REFERENCE = json.loads((DATA / "extra_reference.json").read_text())
LIST_REFERENCE = json.loads((DATA / "list_reference.json").read_text())
STYLES = list(REFERENCE)
ITEM_IDS = [item["id"] for item in ITEMS]
EXTRA_IDS = [item["id"] for item in EXTRA_ITEMS]
FORMATS = ["text", "html"]

# Items the data model cannot hold: discontinuous page ranges. They are checked as given only.
NOT_STORABLE = {
    "pages": "discontinuous page ranges do not fit first_page/last_page",
}
# Stored, osc2015's article number becomes CSL `number`, not `page`; its reference is
# extra_reference.json's "osc2015-number" (the same item with `number`).
STORED_REFERENCE_ID = {"osc2015": "osc2015-number"}
CSL_TO_OUTPUT_TYPE = {
    "article-journal": OutputType.ARTICLE,
    "paper-conference": OutputType.CONFERENCE_PAPER,
    "book": OutputType.BOOK,
    "chapter": OutputType.CHAPTER,
    "report": OutputType.REPORT,
    "thesis": OutputType.THESIS,
    "article": OutputType.PREPRINT,
    "dataset": OutputType.DATASET,
    "webpage": OutputType.WEBPAGE,
    "document": OutputType.OTHER,
}


def make_article_from_csl(item: dict) -> Article:
    """Return a saved Article (with journal, authors, keywords) holding the CSL-JSON item."""
    journal = None
    if "container-title" in item:
        issns = item.get("ISSN", "").split(", ") if item.get("ISSN") else []
        journal = Journal.objects.create(
            title=item["container-title"],
            abbreviated_title=item.get("container-title-short", ""),
            issn_print=issns[0] if issns else "",
            issn_electronic=issns[1] if len(issns) > 1 else "",
            publisher=item.get("publisher", ""),
        )
    first_page = last_page = None
    article_number = item.get("number", "")
    page = item.get("page", "")
    if page:
        first, _, last = page.partition("-")
        if first.isdigit() and (not last or last.isdigit()):
            first_page, last_page = int(first), int(last) if last else None
        else:
            article_number = page
    date_parts = item.get("issued", {}).get("date-parts", [[]])[0]
    year, month, day = [*date_parts, None, None, None][:3]
    article = Article.objects.create(
        output_type=CSL_TO_OUTPUT_TYPE[item["type"]],
        title=item["title"],
        abstract=item.get("abstract", ""),
        language=item.get("language", ""),
        journal=journal,
        volume=item.get("volume", ""),
        issue=item.get("issue", ""),
        first_page=first_page,
        last_page=last_page,
        article_number=article_number,
        page_count=int(item["number-of-pages"]) if "number-of-pages" in item else None,
        state=PublicationState.IN_PRESS if item.get("status") else PublicationState.PUBLISHED,
        year=year,
        month=month,
        day=day,
        doi=item.get("DOI", ""),
        pmid=item.get("PMID", ""),
        url=item.get("URL", ""),
        # A publisher without a container is the article's own (a book's, a report's, ...).
        publisher="" if journal else item.get("publisher", ""),
    )
    for position, name in enumerate(item.get("author", []), start=1):
        author = Author.objects.create(
            family_name=name.get("family", ""),
            given_names=name.get("given", ""),
            particle=name.get("non-dropping-particle", ""),
            suffix=name.get("suffix", ""),
            corporate_name=name.get("literal", ""),
        )
        Authorship.objects.create(article=article, author=author, position=position)
    for term in item.get("keyword", "").split(", ") if item.get("keyword") else []:
        keyword = Keyword.objects.filter(term__iexact=term).first()
        article.keywords.add(keyword or Keyword.objects.create(term=term))
    return article


def expected_csl(item: dict, article: Article) -> dict:
    """Return the CSL-JSON article_to_csl should give for an article made from `item`.

    Stored pages are printed (an en dash between the ends), with `page-first`; the item's key
    is the one generated from author and year (the article has no stored key).
    """
    expected = {key: value for key, value in item.items() if key != "id"}
    expected["id"] = str(article.pk)
    expected["citation-key"] = generated_key(as_record(article))
    if "DOI" in expected:
        expected["DOI"] = expected["DOI"].lower()
    page = expected.get("page", "")
    if page and not page.split("-")[0].isdigit():
        expected["number"] = expected.pop("page")
    elif page:
        expected["page"] = page.replace("-", "\u2013")
        expected["page-first"] = page.split("-")[0]
    if page.split("-")[0].isdigit() and "number-of-pages" not in expected:
        # A plain page or range counts its pages (a single page is one page).
        first, _, last = page.partition("-")
        expected["number-of-pages"] = str(int(last or first) - int(first) + 1)
    return expected


def storable(items: list[dict]) -> list[dict]:
    return [item for item in items if item["id"] not in NOT_STORABLE]


@pytest.fixture(autouse=True)
def empty_cache(empty_citation_cache):
    return empty_citation_cache


@pytest.fixture(scope="module")
def engine_output():
    """Every item as given, formatted on its own: {style: {id: entry}} (one process per style)."""
    items = ITEMS + EXTRA_ITEMS
    return {
        style: dict(
            zip([item["id"] for item in items], render_entries(items, style=style), strict=True)
        )
        for style in STYLES
    }


@pytest.fixture(scope="module")
def stored_output(django_db_setup, django_db_blocker):
    """Every storable item saved as rows, read back with article_to_csl and formatted.

    Returns ({id: (item, csl)}, {style: {id: entry}}); the rows are rolled back afterwards.
    """
    converted = {}
    with django_db_blocker.unblock():
        for item in storable(ITEMS + EXTRA_ITEMS):
            # One item at a time: some items share a DOI, which is unique.
            with transaction.atomic():
                article = make_article_from_csl(item)
                fresh = Article.objects.with_related().get(pk=article.pk)
                converted[item["id"]] = (expected_csl(item, fresh), article_to_csl(fresh))
                transaction.set_rollback(True)
    ids = list(converted)
    csl_items = [converted[item_id][1] for item_id in ids]
    output = {
        style: dict(zip(ids, render_entries(csl_items, style=style), strict=True))
        for style in STYLES
    }
    return converted, output


ITEMS_BY_ID = {item["id"]: item for item in ITEMS + EXTRA_ITEMS}


def expectation(style: str, item_id: str, fmt: str, *, stored: bool) -> dict:
    doi = ITEMS_BY_ID[item_id].get("DOI", "")
    if stored:
        item_id = STORED_REFERENCE_ID.get(item_id, item_id)
    reference = REFERENCE if item_id in REFERENCE[style] else EXTRA_REFERENCE
    expected = reference[style][item_id][fmt]
    if stored and doi != doi.lower():
        # The catalogue stores DOIs lower-cased (they are case-insensitive).
        expected = {part: text.replace(doi, doi.lower()) for part, text in expected.items()}
    return expected


def style_item_params(item_ids: list[str]) -> list:
    """Return (style, item id) params."""
    return [
        pytest.param(style, item_id, id=f"{style}-{item_id}")
        for style in STYLES
        for item_id in item_ids
    ]


# --- The engine against citeproc-js ----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("style", "item_id"), style_item_params(ITEM_IDS + EXTRA_IDS))
def test_engine_matches_citeproc_js(engine_output, style, item_id, fmt):
    expected = expectation(style, item_id, fmt, stored=False)
    entry = engine_output[style][item_id]
    assert entry[fmt] == expected["bib"]
    assert entry[f"intext_{fmt}"] == expected["cite"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("style", "item_id"), style_item_params([item["id"] for item in storable(ITEMS + EXTRA_ITEMS)])
)
def test_stored_article_matches_citeproc_js(stored_output, style, item_id, fmt):
    _, output = stored_output
    expected = expectation(style, item_id, fmt, stored=True)
    entry = output[style][item_id]
    assert entry[fmt] == expected["bib"]
    assert entry[f"intext_{fmt}"] == expected["cite"]


@pytest.mark.parametrize("item_id", [item["id"] for item in storable(ITEMS + EXTRA_ITEMS)])
def test_article_to_csl_gives_back_the_stored_item(stored_output, item_id):
    converted, _ = stored_output
    expected, actual = converted[item_id]
    assert actual == expected


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("style", STYLES)
def test_bibliography_matches_citeproc_js(style, fmt):
    entries = render_bibliography(ITEMS, style=style, fmt=fmt)
    assert entries == LIST_REFERENCE[style][fmt]


@pytest.mark.parametrize("style", ["apa", "chicago-author-date", "harvard-cite-them-right"])
def test_bibliography_disambiguates_same_names_and_years(style):
    # Many same-name, same-year items: names, given names and year suffixes all needed.
    people = [("Smith", "John"), ("Smith", "Karen"), ("Lee", "Kevin"), ("Lee", "Kim"), ("Ng", "A")]
    items = []
    for number in range(40):
        count = 1 + number % 4
        authors = [people[(number + offset * 3) % len(people)] for offset in range(count)]
        items.append(
            {
                "id": f"i{number}",
                "type": "article-journal",
                "title": f"Study {number}",
                "container-title": "Journal",
                "author": [{"family": family, "given": given} for family, given in authors],
                "issued": {"date-parts": [[2019 + number % 2]]},
            }
        )
    entries = render_bibliography(items, style=style)
    assert len(entries) == 40
    assert sum("2019a" in entry or "2020a" in entry for entry in entries) >= 3
    # Formatting the list again gives the same list: the engine keeps no state between calls.
    assert render_bibliography(items, style=style) == entries


def test_engine_is_the_pinned_citeproc_js():
    # citeproc-js 2.4.63 from npm (citeproc_commonjs.js), the version of the reference output.
    digest = hashlib.sha256(engine.CITEPROC_JS.read_bytes()).hexdigest()
    assert digest == "55abba1a8b8b48c14323fd053f9646013b4b7a0c977938064ecf5195a502b9f1"
    assert engine.CITEPROC_VERSION == "2.4.63"


# --- CSL-JSON from the catalogue --------------------------------------------------------------


def test_article_to_csl_for_the_seed_article(seed):
    article = Article.objects.with_related().get(pk=1)
    assert article_to_csl(article) == {
        "id": "1",
        "citation-key": "ZilchaMano2017",
        "type": "article-journal",
        "title": "Is the alliance really therapeutic? Revisiting this question in light of "
        "recent methodological advances",
        "container-title": "American Psychologist",
        "container-title-short": "Am Psychol",
        "author": [{"family": "Zilcha-Mano", "given": "Sigal"}],
        "issued": {"date-parts": [[2017, 5]]},
        "volume": "72",
        "issue": "4",
        "page": "311\u2013325",
        "page-first": "311",
        "number-of-pages": "15",
        "DOI": "10.1037/a0040435",
        "ISSN": "0003-066X, 1935-990X",
        "publisher": "American Psychological Association",
        "language": "en",
        "abstract": article.abstract,
        "keyword": "Active therapeutic ingredients, Alliance, Alliance-outcome association, "
        "Psychotherapy process research",
    }
    seed_full = next(item for item in EXTRA_ITEMS if item["id"] == "seed-full")
    # The reference item (citeproc-js's input) writes the range with a hyphen and has no key.
    stored = article_to_csl(article) | {"id": "seed-full", "abstract": seed_full["abstract"]}
    del stored["citation-key"], stored["page-first"]
    assert stored == seed_full | {"page": "311\u2013325"}


def test_seed_article_citations_in_every_style(seed):
    article = Article.objects.with_related().get(pk=1)
    cited = render_citations(article)
    assert list(cited) == STYLES
    for style in STYLES:
        expected = EXTRA_REFERENCE[style]["seed-full"]
        text, html = expected["text"]["bib"], expected["html"]["bib"]
        if style in ("vancouver", "american-medical-association"):
            # One citation on its own: the "1." label of numeric styles is left out.
            text = text.removeprefix("1. ")
            inner = html.split('<div class="csl-right-inline">')[1].removesuffix("</div>\n  </div>")
            html = f'<div class="csl-entry">{inner}</div>'
        assert cited[style]["text"] == text
        assert cited[style]["html"] == html
        assert cited[style]["intext_text"] == expected["text"]["cite"]
        assert cited[style]["intext_html"] == expected["html"]["cite"]
    assert cited["vancouver"]["text"] == (
        "Zilcha-Mano S. Is the alliance really therapeutic? Revisiting this question in light "
        "of recent methodological advances. Am Psychol. 2017 May;72(4):311–25. "
        "doi:10.1037/a0040435"
    )


def test_csl_dates_keep_their_precision_and_in_press_has_a_status(db):
    journal = Journal.objects.create(title="J")
    day = Article.objects.create(title="Day", journal=journal, year=2017, month=5, day=3)
    year = Article.objects.create(title="Year", journal=journal, year=2017)
    in_press = Article.objects.create(title="Soon", state=PublicationState.ACCEPTED)
    epub = Article.objects.create(title="Online", state=PublicationState.IN_PRESS, year=2024)
    assert article_to_csl(day)["issued"] == {"date-parts": [[2017, 5, 3]]}
    assert article_to_csl(year)["issued"] == {"date-parts": [[2017]]}
    assert article_to_csl(in_press)["status"] == "in press"
    assert "issued" not in article_to_csl(in_press)
    assert "status" not in article_to_csl(epub)


def test_csl_names_in_order_with_particles_suffixes_and_literals(db):
    article = Article.objects.create(title="Names")
    names = [
        Author.objects.create(family_name="King", given_names="Martin Luther", suffix="Jr."),
        Author.objects.create(corporate_name="Open Science Collaboration"),
        Author.objects.create(family_name="Berg", given_names="Anna", particle="van der"),
        Author.objects.create(family_name="Plato"),
    ]
    for position, author in enumerate(names, start=1):
        Authorship.objects.create(article=article, author=author, position=position)
    assert article_to_csl(Article.objects.with_related().get(pk=article.pk))["author"] == [
        {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
        {"literal": "Open Science Collaboration"},
        {"family": "Berg", "given": "Anna", "non-dropping-particle": "van der"},
        {"family": "Plato"},
    ]


def test_csl_title_whitespace_is_collapsed_and_markup_kept(db):
    article = Article.objects.create(title="Two  spaces\nand <i>E. coli</i>")
    assert article_to_csl(article)["title"] == "Two spaces and <i>E. coli</i>"


def test_csl_types_follow_the_output_type(db):
    expected = dict(csl_json.CSL_TYPES)
    for output_type, csl_type in expected.items():
        article = Article.objects.create(title=str(output_type), output_type=output_type)
        assert article_to_csl(article)["type"] == csl_type
    assert set(expected) == set(OutputType)


# --- Rendering API ------------------------------------------------------------------------------


def test_html_is_escaped_and_markup_rendered():
    xss = next(item for item in ITEMS if item["id"] == "xss")
    [entry] = render_entries([xss], style="apa")
    assert "<script" not in entry["html"]
    assert "&#60;script&#62;alert(1)&#60;/script&#62;" in entry["html"]
    assert "<i>Escherichia coli</i>" in entry["html"]
    assert "CO<sub>2</sub>" in entry["html"]
    assert "&#38;" in entry["html"]
    assert entry["text"].startswith("O’Neil, C. (2021). Effects of Escherichia coli on CO2 & ")


def test_unexpected_markup_falls_back_to_escaped_text():
    # citeproc-js escapes user text; markup it never writes means a bug or a hostile style.
    assert output.safe_html("<i>x</i> &#38; <sup>2</sup>", "x & 2") == "<i>x</i> &#38; <sup>2</sup>"
    assert output.safe_html('<div class="csl-entry"><img src=x></div>', "a <b> & c") == (
        '<div class="csl-entry">a &#60;b&#62; &#38; c</div>'
    )
    assert output.safe_html('<a href="javascript:alert(1)">x</a>', "x") == (
        '<div class="csl-entry">x</div>'
    )
    assert output.safe_html("<span onclick=x>y</span>", "y") == '<div class="csl-entry">y</div>'


@pytest.fixture
def engine_runs():
    """Return a counter of the engine's formatting calls made since the test started."""
    start = engine.render_count()
    return lambda: engine.render_count() - start


def test_render_citation_is_cached_until_the_record_changes(seed, engine_runs):
    first = render_citation(Article.objects.with_related().get(pk=1), style="apa")
    assert first["text"] == EXTRA_REFERENCE["apa"]["seed-full"]["text"]["bib"]
    assert engine_runs() == 1
    assert render_citation(Article.objects.with_related().get(pk=1), style="apa") == first
    assert engine_runs() == 1
    Article.objects.get(pk=1).save()  # a new `updated` time
    assert render_citation(Article.objects.with_related().get(pk=1), style="apa") == first
    assert engine_runs() == 2


def test_render_citation_is_invalidated_by_an_author_rename(seed, engine_runs):
    render_citation(Article.objects.with_related().get(pk=1), style="apa")
    # Correcting the printed name does not touch the article's `updated`; the CSL digest
    # changes. (Renaming the person changes no citation: they show the printed form.)
    Authorship.objects.filter(article_id=1, position=1).update(given_names="Tal")
    cited = render_citation(Article.objects.with_related().get(pk=1), style="apa")
    assert cited["text"].startswith("Zilcha-Mano, T. (2017).")
    assert engine_runs() == 2


def test_render_citations_formats_only_the_missing_styles(seed, engine_runs):
    article = Article.objects.with_related().get(pk=1)
    apa = render_citation(article, style="apa")
    both = render_citations(article, styles=["apa", "vancouver", "chicago-author-date"])
    assert engine_runs() == 3
    assert both["apa"] == apa
    assert list(both) == ["apa", "vancouver", "chicago-author-date"]
    assert both["vancouver"]["text"].startswith("Zilcha-Mano S. Is the alliance")
    assert render_citations(article, styles=["vancouver", "apa"]) == {
        "vancouver": both["vancouver"],
        "apa": apa,
    }
    assert engine_runs() == 3


def test_warm_citations_fills_the_cache(seed, engine_runs):
    # One engine call per style and batch.
    assert warm_citations(Article.objects.all(), styles=["apa", "vancouver"]) == 6
    assert engine_runs() == 2
    assert warm_citations(Article.objects.all(), styles=["apa", "vancouver"]) == 0
    for article in Article.objects.with_related():
        assert render_citation(article, style="vancouver")["text"]
    assert engine_runs() == 2


def test_unknown_style_points_to_the_style_list(seed):
    article = Article.objects.get(pk=1)
    with pytest.raises(UnknownStyle) as raised:
        render_citation(article, style="nope")
    assert str(raised.value) == (
        "Unknown citation style 'nope'; see /styles/ for the available styles."
    )
    assert raised.value.style == "nope"
    assert raised.value.available == STYLES
    with pytest.raises(UnknownStyle) as raised:
        render_citation(article, style="x" * 5000)
    assert len(str(raised.value)) < 150
    with pytest.raises(UnknownStyle):
        render_bibliography([ITEMS[0]], style="APA")
    with pytest.raises(UnknownStyle):
        list(stream_bibliography(Article.objects.all(), style=""))


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match=r"Unknown citation format 'rtf'; use 'text' or 'html'\."):
        render_bibliography([ITEMS[0]], style="apa", fmt="rtf")


def test_empty_input_needs_no_engine(settings, db):
    engine.reset()
    settings.CITATION_CITEPROC_JS = "/nonexistent/citeproc.js"
    assert render_bibliography([], style="apa") == []
    assert render_entries(Article.objects.none(), style="apa") == []
    assert list(stream_bibliography(Article.objects.none(), style="apa")) == []


def test_engine_failures_raise_a_clear_error(settings, tmp_path):
    settings.CITATION_CITEPROC_JS = "/nonexistent/citeproc.js"
    with pytest.raises(CitationEngineError, match=r"citeproc-js could not be loaded: .*No such"):
        render_bibliography([ITEMS[0]], style="apa")
    broken = tmp_path / "citeproc.js"
    broken.write_text("this is not (JavaScript")
    settings.CITATION_CITEPROC_JS = str(broken)
    with pytest.raises(CitationEngineError, match="citeproc-js could not be loaded: "):
        render_bibliography([ITEMS[0]], style="apa")
    # The real engine is back as soon as the setting is.
    del settings.CITATION_CITEPROC_JS
    [entry] = render_bibliography([ITEMS[0]], style="apa")
    assert entry == REFERENCE["apa"][ITEMS[0]["id"]]["text"]["bib"]


@pytest.fixture
def broken_style(settings, tmp_path):
    """Configure a seventh core style whose file citeproc-js cannot build; return its id."""
    path = tmp_path / "broken.csl"
    path.write_text('<?xml version="1.0"?><style xmlns="http://purl.org/net/xbiblio/csl">')
    settings.CITATION_STYLES = {
        **conf.get("CITATION_STYLES"),
        "broken": {"label": "Broken", "csl": str(path)},
    }
    return "broken"


def test_a_style_that_cannot_be_built_raises_style_error_and_others_work(broken_style):
    with pytest.raises(StyleError, match=r"^The citation style 'broken' cannot be used: "):
        render_bibliography([ITEMS[0]], style=broken_style)
    with pytest.raises(StyleError):
        render_entries([ITEMS[0]], style=broken_style)
    assert render_bibliography([ITEMS[0]], style="apa")[0].startswith("Zilcha-Mano, S. (2017).")


def test_locale_changes_the_terms_and_unknown_locales_are_refused():
    item = next(item for item in EXTRA_ITEMS if item["id"] == "seed-full")
    [english] = render_entries([item], style="chicago-author-date")
    [german] = render_entries([item], style="chicago-author-date", locale="de-DE")
    [german_again] = render_entries([item], style="chicago-author-date", locale="de_de")
    assert german == german_again
    assert english["text"].startswith("Zilcha-Mano, Sigal. 2017. “Is the Alliance Really")
    assert german["text"].startswith("Zilcha-Mano, Sigal. 2017. „Is the Alliance Really")
    assert german["text"].endswith(
        "Methodological Advances“. American Psychologist 72 (4): 311–25. https://doi.org/10.1037/a0040435."
    )
    with pytest.raises(UnknownLocale, match=r"^Unknown locale 'xx-YY'; see /styles/ for"):
        render_entries([item], style="apa", locale="xx-YY")
    with pytest.raises(UnknownLocale):
        render_bibliography([item], style="apa", locale="../../etc/passwd")


def test_html_results_are_marked_safe_and_text_is_not(seed):
    cited = render_citation(Article.objects.with_related().get(pk=1), style="apa")
    assert hasattr(cited["html"], "__html__")
    assert not hasattr(cited["text"], "__html__")
    [entry] = render_bibliography([ITEMS[0]], style="apa", fmt="html")
    assert hasattr(entry, "__html__")


def test_items_without_ids_or_with_repeated_ids_are_all_rendered():
    first, second = dict(ITEMS[0]), dict(ITEMS[1])
    first.pop("id")
    second["id"] = first_id = "same"
    third = dict(ITEMS[3], id=first_id)
    entries = render_entries([first, second, third], style="apa")
    assert [entry["text"][:10] for entry in entries] == ["Zilcha-Man", "Baldwin, S", "Bordin, E."]


def test_stream_bibliography_is_a_generator_numbering_on_across_batches(db):
    for item in storable(ITEMS)[:5]:
        make_article_from_csl(item)
    articles = Article.objects.order_by("pk")
    chunks = stream_bibliography(articles, style="vancouver", fmt="text", batch_size=2)
    assert isinstance(chunks, types.GeneratorType)
    chunks = list(chunks)
    assert len(chunks) == 3
    lines = "".join(chunks).splitlines()
    assert [line.split(" ")[0] for line in lines] == ["1.", "2.", "3.", "4.", "5."]
    whole = render_bibliography(articles.with_related(), style="vancouver")
    assert lines == whole


def test_stream_bibliography_html_has_one_entry_per_line(db):
    for item in storable(ITEMS)[:3]:
        make_article_from_csl(item)
    chunks = list(stream_bibliography(Article.objects.order_by("pk"), style="apa", fmt="html"))
    assert len(chunks) == 1
    entries = chunks[0].splitlines()
    assert entries == render_bibliography(Article.objects.order_by("pk"), style="apa", fmt="html")


def test_every_configured_style_file_exists():
    styles = citations.available_styles()
    assert [style.id for style in styles.values()] == STYLES
    for style in styles.values():
        assert style.path.is_file(), style.path
        assert style.label
    assert styles["harvard-cite-them-right"].locale == "en-GB"
    assert styles["vancouver"].path.name == "nlm-citation-sequence.csl"


# --- warm_citations (the management command) --------------------------------------------------


def test_warm_citations_fills_the_cache_once(seed, capsys):
    caches["citations"].clear()

    call_command("warm_citations", "1", "2", "--style", "apa", "--style", "vancouver")
    call_command("warm_citations", "1", "2", "--style", "apa", "--style", "vancouver")

    output = capsys.readouterr()
    lines = output.out.splitlines()
    assert lines[0].startswith("Cached 4 formatted citations in ")
    assert lines[1].startswith("Cached 0 formatted citations in ")
    assert "local memory" in output.err


def test_warm_citations_in_a_repository_style_and_locale(seed, capsys):
    caches["citations"].clear()

    call_command("warm_citations", "1", "--style", "ieee", "--locale", "de")

    assert capsys.readouterr().out.startswith("Cached 1 formatted citation in ")
    article = Article.objects.with_related().get(pk=1)
    runs = engine.render_count()
    cited = render_citation(article, style="ieee", locale="de-DE")
    assert engine.render_count() == runs
    assert cited["text"].startswith("S. Zilcha-Mano, „Is the alliance really therapeutic?")


def test_warm_citations_of_one_journal_in_every_style(seed, capsys):
    caches["citations"].clear()

    call_command("warm_citations", "--journal", "3")

    assert capsys.readouterr().out.startswith("Cached 6 formatted citations in ")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--style", "nope"], "Unknown citation style 'nope'; see /styles/ for the available"),
        (["--locale", "xx-YY"], "Unknown locale 'xx-YY'; see /styles/ for the available"),
        (["0"], "argument ID: must be at least 1, not 0."),
        (["--batch-size", "x"], "argument --batch-size: must be a whole number, not 'x'."),
    ],
)
def test_warm_citations_rejects_bad_arguments(seed, arguments, message):
    with pytest.raises(CommandError) as raised:
        call_command("warm_citations", *arguments)

    assert str(raised.value).startswith(message) or message in str(raised.value)


def test_a_process_that_used_the_engine_exits_promptly(tmp_path):
    # V8's context freed during interpreter finalisation hangs (mini-racer 0.14.1); the engine
    # closes it at exit instead. A management command must not hang after its work.
    script = tmp_path / "render.py"
    script.write_text(
        "import json, django\n"
        "django.setup()\n"
        "from catalogue.citations import render_bibliography\n"
        f"items = json.loads(open({str(DATA / 'items.json')!r}).read())\n"
        "many = [dict(item, id=f'{item[\"id\"]}-{n}') for n in range(5) for item in items]\n"
        "print(len(render_bibliography(many, style='apa')))\n"
    )
    root = Path(__file__).resolve().parent.parent
    completed = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "DJANGO_SETTINGS_MODULE": "catalogue.settings"},
        check=False,
    )
    assert (completed.returncode, completed.stdout) == (0, "80\n"), completed.stderr


def test_a_runtime_made_in_a_thread_running_an_asyncio_loop_works_everywhere():
    # mini-racer ties a context to the loop running where it is made: made there, calls
    # from outside that loop (or inside it) used to wait forever.
    async def load_and_cite() -> list[dict[str, str]]:
        engine.reset()
        engine.runtime()
        return render_entries([ITEMS[0]], style="vancouver")

    with ThreadPoolExecutor(max_workers=1) as pool:
        [inside] = pool.submit(asyncio.run, load_and_cite()).result(timeout=60)
    with ThreadPoolExecutor(max_workers=1) as pool:
        [outside] = pool.submit(render_entries, [ITEMS[0]], style="vancouver").result(timeout=60)
    assert inside == outside
    assert inside["text"] == REFERENCE["vancouver"][ITEMS[0]["id"]]["text"]["bib"]


def test_the_engine_works_in_a_thread_running_an_asyncio_loop():
    # mini-racer refuses a call with a timeout there (async views, Playwright's sync API).
    async def cite() -> list[dict[str, str]]:
        return render_entries([ITEMS[0]], style="apa")

    # In a thread of its own: the browser tests' Playwright may run a loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        [entry] = pool.submit(asyncio.run, cite()).result()
    assert entry["text"] == REFERENCE["apa"][ITEMS[0]["id"]]["text"]["bib"]


def test_warm_builds_the_core_engines_so_the_first_citation_needs_none(seed):
    engine.reset()
    assert engine.warm() > 0
    built = {key.split("|")[0] for key in engine.runtime().engines}
    assert built == set(STYLES)
    runs = engine.render_count()
    render_citations(Article.objects.with_related().get(pk=1))
    # One formatting call per style, and no engine built.
    assert engine.render_count() - runs == len(STYLES)
    assert {key.split("|")[0] for key in engine.runtime().engines} == built


def test_gunicorn_workers_warm_the_engines_in_the_background(monkeypatch):
    import runpy

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    calls = []
    done = threading.Event()

    def warm() -> None:
        calls.append((threading.current_thread().name, threading.current_thread().daemon))
        done.set()

    monkeypatch.setattr(engine, "warm", warm)
    config["post_worker_init"](object())
    assert done.wait(timeout=30)
    assert calls == [("citation-warm", True)]


def test_engines_are_dropped_when_the_heap_passes_its_bound(settings):
    # Engines weigh 0.1-75 MB each: the cache is bounded by V8's heap, not only by a count.
    settings.CITATION_ENGINES_HEAP_MB = 60
    engine.reset()
    shown = {}
    for style in ["apa", "chicago-author-date", "modern-language-association", "vancouver"]:
        [entry] = render_entries([ITEMS[0]], style=style)
        assert entry["text"] == REFERENCE[style][ITEMS[0]["id"]]["text"]["bib"]
        shown[style] = [key.split("|")[0] for key in engine.runtime().engines]
    assert shown == {
        "apa": ["apa"],
        "chicago-author-date": ["chicago-author-date"],
        "modern-language-association": ["modern-language-association"],
        "vancouver": ["modern-language-association", "vancouver"],
    }
    assert engine.runtime().heap_used() < 60 * 2**20


def test_engines_are_dropped_past_their_count(settings):
    settings.CITATION_ENGINES_MAX = 2
    engine.reset()
    for style in ["vancouver", "modern-language-association", "american-medical-association"]:
        render_entries([ITEMS[0]], style=style)
    assert [key.split("|")[0] for key in engine.runtime().engines] == [
        "modern-language-association",
        "american-medical-association",
    ]


def test_a_call_past_the_heap_limit_fails_cleanly_and_the_engine_recovers(settings):
    # V8 would abort the whole process at its own limit; under ours the call fails.
    settings.CITATION_V8_HEAP_LIMIT_MB = 40
    engine.reset()
    with pytest.raises(CitationEngineError, match=r"needed more memory than the citation engine"):
        render_entries([ITEMS[0]], style="chicago-author-date")
    del settings.CITATION_V8_HEAP_LIMIT_MB
    [entry] = render_entries([ITEMS[0]], style="chicago-author-date")
    assert entry["text"] == REFERENCE["chicago-author-date"][ITEMS[0]["id"]]["text"]["bib"]


def test_every_tag_citeproc_js_writes_passes_the_html_check(caplog):
    # 119 repository styles use vertical-align="baseline", which citeproc-js writes as
    # <span style="baseline">; font-style="oblique" is <em>. Their HTML is kept as written.
    items = ITEMS + EXTRA_ITEMS
    style = citations.get_style("acta-amazonica")
    raw = engine.format_each(style, None, items)
    entries = render_entries(items, style="acta-amazonica")
    assert [entry["html"] for entry in entries] == [
        (result["html"][0] or "").strip() for result in raw
    ]
    assert sum('<span style="baseline">' in entry["html"] for entry in entries) == 28
    assert "Unexpected markup" not in caplog.text
    assert output.safe_html("<em>x</em>", "x") == "<em>x</em>"


def _formatted_both_ways(style, items):
    """Return citeproc-js's own text and HTML of each item: {fmt: [entry, citation]}."""
    current = engine.runtime()
    key = current.engine(style, None)
    prepared = [engine.engine_item(engine.for_style(style, item)) for item in items]
    answer = current._call("formatEach", key, ["text", "html"], json.dumps(prepared), items=2)
    return json.loads(answer)


@pytest.mark.parametrize("style_id", STYLES)
def test_text_taken_from_the_html_is_the_text_format(style_id):
    # The engine formats HTML and takes the text from it where that is what the text format
    # writes (engine.TEXT_DIFFERS): a record page's six styles cost about a fifth less.
    style = citations.get_style(style_id)
    items = ITEMS + EXTRA_ITEMS
    expected = _formatted_both_ways(style, items)
    results = engine.format_each(style, None, items)
    for own, result in zip(expected, results, strict=True):
        assert result["html"] == tuple(own["html"])
        entry, citation = own["text"]
        assert (result["text"][0] or "").strip() == (entry or "").strip()
        assert (result["text"][0] is None) == (entry is None)
        assert result["text"][1] == citation


def test_text_with_superscripts_or_labels_is_formatted_by_the_engine():
    # The text format writes a superscript "o" as "ᵒ" and spaces a numeric label as the style
    # says: where the HTML has these, the engine formats the text itself.
    for style_id, mark in (
        ("universite-gustave-eiffel-arts-numeriques-et-cultures-visuelles", "nᵒ"),
        ("american-mathematical-society-numeric", "[1]  "),
    ):
        style = citations.get_style(style_id)
        expected = _formatted_both_ways(style, ITEMS)
        results = engine.format_each(style, None, ITEMS)
        texts = [(entry.strip(), citation) for entry, citation in (r["text"] for r in results)]
        own = [(entry.strip(), citation) for entry, citation in (e["text"] for e in expected)]
        assert texts == own
        assert any(mark in entry + citation for entry, citation in texts)
    assert engine.text_of_html('<div class="csl-entry">A &#38; B, <i>J</i></div>') == "A & B, J"
    assert engine.text_of_html(None) is None


def test_shared_citation_cache_keeps_entries_and_misses_when_unusable(tmp_path, caplog):
    from catalogue.citations.cache import CitationFileCache

    cache = CitationFileCache(str(tmp_path / "citations"), {})
    cache.set_many({"a": {"text": "A"}, "b": {"text": "B"}})
    # Another process (worker) with the same directory reads what this one wrote.
    other = CitationFileCache(str(tmp_path / "citations"), {})
    assert other.get_many(["a", "b", "c"]) == {"a": {"text": "A"}, "b": {"text": "B"}}

    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    unusable = CitationFileCache(str(blocked / "citations"), {})
    unusable.set("a", {"text": "A"})
    assert unusable.get("a", "missing") == "missing"
    assert "Citation cache" in caplog.text


def test_a_process_that_formatted_in_another_thread_exits_cleanly(tmp_path):
    # Freeing V8 at exit after a thread (a threaded server's request) had formatted with it
    # crashed the interpreter (exit 139) after every test had passed.
    import textwrap

    script = tmp_path / "format_in_a_thread.py"
    script.write_text(
        textwrap.dedent(
            """
            import os, threading
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalogue.settings")
            import django
            django.setup()
            from catalogue.citations import engine, styles
            item = {"id": "x", "type": "article-journal", "title": "T",
                    "author": [{"family": "A", "given": "B"}], "issued": {"date-parts": [[2020]]}}
            def use():
                engine.format_each(styles.get_style("apa"), None, [item])
            thread = threading.Thread(target=use)
            thread.start()
            thread.join()
            print("formatted")
            """
        )
    )
    root = Path(__file__).resolve().parent.parent
    results = [
        subprocess.run(
            [sys.executable, str(script)],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        for _ in range(3)
    ]

    assert [(result.returncode, result.stdout) for result in results] == [(0, "formatted\n")] * 3
