"""The Cite box says what the record says (issue 14): editors, book titles, editions, places,
and "et al." where the source's author list was incomplete."""

import pytest

from catalogue.citations import get_style, render_citations, render_entries
from catalogue.citations.rendering import _cache_key
from catalogue.formats.bibtex import Name
from catalogue.formats.csl_json import article_to_csl
from catalogue.formats.metadata import cite_box
from catalogue.models import ContributorRole, OutputType
from catalogue.records import ArticleRecord


@pytest.fixture(autouse=True)
def empty_cache(empty_citation_cache):
    return empty_citation_cache


def chapter(pk: int = 1) -> ArticleRecord:
    return ArticleRecord(
        pk=pk,
        output_type=OutputType.CHAPTER,
        title="A chapter",
        journal_title="The Handbook",
        authors=[Name(family="Lee", given="Ann")],
        contributors={
            ContributorRole.EDITOR: [
                Name(family="Berg", given="Jan", particle="van der"),
                Name(family="Ng", given="Kim"),
            ],
            ContributorRole.TRANSLATOR: [Name(family="Tr", given="Tom")],
        },
        edition="2nd",
        place="Berlin",
        publisher="Springer",
        pages="xii–xv",
        year=2019,
    )


def incomplete(pk: int = 2, names: int = 2) -> ArticleRecord:
    return ArticleRecord(
        pk=pk,
        title="Many hands",
        journal_title="J",
        volume="3",
        pages="1–9",
        year=2020,
        et_al=True,
        authors=[Name(family=f"F{index}", given="G") for index in range(names)],
    )


def test_a_chapter_cites_its_editors_translator_book_edition_and_place():
    cited = render_citations(chapter(), styles=["apa", "chicago-author-date"])
    assert cited["apa"]["text"] == (
        "Lee, A. (2019). A chapter (T. Tr, Trans.). In J. van der Berg & K. Ng (Eds.), "
        "The Handbook (2nd ed., pp. xii–xv). Springer."
    )
    assert cited["chicago-author-date"]["text"] == (
        "Lee, Ann. 2019. “A Chapter.” In The Handbook, 2nd ed., edited by Jan van der Berg "
        "and Kim Ng, translated by Tom Tr. Springer."
    )


def test_an_edited_book_has_a_creator():
    book = ArticleRecord(
        pk=3,
        output_type=OutputType.BOOK,
        title="Edited book",
        contributors={ContributorRole.EDITOR: [Name(family="Ed", given="Eve")]},
        publisher="P",
        place="London",
        year=1978,
        edition="3",
    )
    cited = render_citations(book, styles=["apa", "harvard-cite-them-right"])
    assert cited["apa"]["text"] == "Ed, E. (Ed.). (1978). Edited book (3rd ed.). P."
    assert cited["harvard-cite-them-right"]["text"] == (
        "Ed, E. (ed.) (1978) Edited book. 3rd edn. London: P."
    )


def test_vancouver_and_ama_name_editors_after_their_names():
    # pandoc put a label without a <name> first: "In, editorsvan der Berg J, Ng K."
    cited = render_citations(chapter(), styles=["vancouver", "american-medical-association"])
    assert "In: van der Berg J, Ng K, editors. The Handbook." in cited["vancouver"]["text"]
    ama = cited["american-medical-association"]["text"]
    assert "In: van der Berg J, Ng K, eds. The Handbook." in ama
    book = ArticleRecord(
        pk=3,
        output_type=OutputType.BOOK,
        title="Edited book",
        contributors={ContributorRole.EDITOR: [Name(family="Ed", given="Eve")]},
        publisher="P",
        year=1978,
    )
    assert render_citations(book, styles=["vancouver"])["vancouver"]["text"] == (
        "Ed E, editor. Edited book. P; 1978."
    )


def test_an_incomplete_author_list_is_never_presented_as_complete():
    cited = render_citations(incomplete(), styles=["apa", "vancouver"])
    assert cited["apa"]["text"] == "F0, G., F1, G., et al. (2020). Many hands. J, 3, 1–9."
    assert cited["apa"]["intext_text"] == "(F0 et al., 2020)"
    assert cited["vancouver"]["text"] == "F0 G, F1 G, et al. Many hands. J. 2020;3:1–9."


def test_apa_lists_nineteen_names_and_et_al_for_a_long_incomplete_list():
    # APA's "first 19, …, last" needs the last name, which the source did not give.
    [entry] = render_entries([article_to_csl(incomplete(names=25))], style="apa")
    assert entry["text"].startswith("F0, G., F1, G.,")
    assert entry["text"].endswith("F17, G., F18, G., et al. (2020). Many hands. J, 3, 1–9.")
    assert "others" not in entry["text"]


def test_an_open_page_range_stays_open():
    # citeproc-js writes the open range's dash as a hyphen (as Zotero prints it); the range
    # stays open, never "123–123".
    record = ArticleRecord(pk=4, title="T", journal_title="J", pages="123–", year=2020)
    cited = render_citations(record, styles=["apa", "chicago-author-date"])
    assert cited["apa"]["text"] == "T. (2020). J, 123-."
    assert cited["chicago-author-date"]["text"] == "“T.” 2020. J, 123-."


def test_a_date_as_written_is_cited_as_written():
    record = ArticleRecord(
        pk=5, title="T", journal_title="J", year=1978, date_text="1978/79", authors=[]
    )
    cited = render_citations(record, styles=["apa", "chicago-author-date"])
    assert cited["apa"]["text"] == "T. (1978/79). J."
    assert cited["chicago-author-date"]["text"] == "“T.” 1978/79. J."


def test_the_cite_box_offers_the_fuller_record_in_bibtex_and_ris():
    box = cite_box(chapter(), url="/articles/1/")
    exports = {entry.id: entry.text for entry in box["entries"] if entry.kind == "export"}
    assert "editor = {van der Berg, Jan and Ng, Kim}" in exports["bibtex"]
    assert "A2  - van der Berg, Jan" in exports["ris"]


def test_the_cache_key_changes_with_every_new_record_field():
    # The key holds a digest of the CSL-JSON item: editors, et al., pages as printed and the
    # other new fields change it, though the record's `updated` does not.
    style = get_style("apa")
    records = [
        chapter(),
        incomplete(pk=1, names=1),
        ArticleRecord(
            pk=1,
            title="Many hands",
            journal_title="J",
            volume="3",
            pages="1–9",
            year=2020,
            authors=[Name(family="F0", given="G")],
        ),
        ArticleRecord(pk=1, title="A chapter", pages="xii–xv"),
        ArticleRecord(pk=1, title="A chapter", pages="xii–xvi"),
        ArticleRecord(pk=1, title="A chapter", edition="3rd"),
        ArticleRecord(pk=1, title="A chapter", citation_key="lee:2019"),
    ]
    keys = {_cache_key(record, article_to_csl(record), style, None) for record in records}
    assert len(keys) == len(records)


def test_et_al_is_the_locale_term_after_the_names_shown():
    # The German term is "u. a." with a no-break space, as in the CSL locale.
    cited = render_citations(
        incomplete(), styles=["apa", "chicago-author-date", "ieee"], locale="de-DE"
    )
    assert cited["apa"]["text"] == "F0, G., F1, G., u.\u00a0a. (2020). Many hands. J, 3, 1–9."
    assert (
        cited["chicago-author-date"]["text"]
        == "F0, G., G. F1, u.\u00a0a. 2020. „Many hands“. J 3: 1–9."
    )
    assert cited["chicago-author-date"]["intext_text"] == "(F0 u.\u00a0a. 2020)"
    assert (
        cited["ieee"]["text"] == "G. F0, G. F1, u.\u00a0a., „Many hands“, J, Bd. 3, S. 1–9, 2020."
    )
    one = render_citations(incomplete(names=1), styles=["apa", "harvard-cite-them-right"])
    assert one["apa"]["text"] == "F0, G., et al. (2020). Many hands. J, 3, 1–9."
    assert one["apa"]["intext_text"] == "(F0 et al., 2020)"
    assert one["harvard-cite-them-right"]["intext_text"] == "(F0 et al., 2020)"
