"""A record exported as BibTeX and imported again is the same record (formats + importer)."""

import dataclasses

import pytest

from catalogue import importer
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import (
    Article,
    Author,
    ImportStatus,
    Journal,
    Keyword,
    OnDuplicate,
    OutputType,
    PublicationState,
)
from catalogue.records import ArticleRecord, citation_key
from tests.factories import make_article, make_author, make_journal, make_keyword

BIBTEX = EXPORT_FORMATS["bibtex"]


def record_of(article: Article) -> dict:
    """Return every bibliographic field of the article as the exports see it."""
    loaded = Article.objects.with_related().get(pk=article.pk)
    record = ArticleRecord.from_article(loaded)
    fields = dataclasses.asdict(record)
    fields.pop("pk")
    fields.pop("updated")
    # The key it is cited by: a record made without a source key exports its generated key,
    # which the import then stores.
    fields["citation_key"] = citation_key(record)
    return fields


def wipe_catalogue() -> None:
    Article.objects.all().delete()
    Author.objects.all().delete()
    Journal.objects.all().delete()
    Keyword.objects.all().delete()


def import_bibtex(text: str, **options) -> object:
    batch = importer.run_import(data=text.encode("utf-8"), filename="export.bib", **options)
    assert batch.status == ImportStatus.COMPLETED, batch.error
    assert [p for p in batch.problems if p.get("severity") != "warning"] == []
    return batch


def make_case(*, authors=(), keywords=(), journal=None, **fields) -> Article:
    """Return a saved article in a journal with every journal field filled in."""
    if journal is None:
        journal = make_journal(
            title="Journal of Things & Stuff",
            abbreviated_title="J Things Stuff",
            issn_print="0003-066X",
            issn_electronic="1935-990X",
            publisher="Pub & Co",
        )
    return make_article(
        journal=journal,
        authors=[make_author(**author) for author in authors],
        keywords=[make_keyword(term=term) for term in keywords],
        **fields,
    )


def round_trip(article: Article) -> tuple[dict, dict, str]:
    """Return (record before, record after export + import into an empty catalogue, BibTeX)."""
    before = record_of(article)
    text = BIBTEX.render(Article.objects.with_related().get(pk=article.pk))
    wipe_catalogue()
    import_bibtex(text)
    return before, record_of(Article.objects.get()), text


CASES = {
    "accents": {
        "title": "Über Flückiger’s naïve café in Zürich",
        "authors": [{"family_name": "Flückiger", "given_names": "Christoph"}],
    },
    "particles": {
        "title": "Names with particles",
        "authors": [
            {"family_name": "Berg", "particle": "van der", "given_names": "Jan"},
            {"family_name": "La Fontaine", "particle": "de", "given_names": "Jean"},
        ],
    },
    "suffix": {
        "title": "A name with a suffix",
        "authors": [{"family_name": "King", "given_names": "Martin Luther", "suffix": "Jr."}],
    },
    "corporate author and article number": {
        "title": "Estimating the reproducibility of psychological science",
        "authors": [{"corporate_name": "Open Science Collaboration"}],
        "article_number": "aac4716",
        "volume": "349",
        "issue": "6251",
        "year": 2015,
        "month": 8,
        "day": 28,
    },
    "e-number": {
        "title": "An article numbered e0123",
        "authors": [{"family_name": "Smith", "given_names": "Anne"}],
        "article_number": "e0123",
        "volume": "12",
        "issue": "3",
    },
    "markup in the title": {
        "title": "Growth of <i>E. coli</i> in H<sub>2</sub>O and <b>CO</b><sup>2</sup>",
        "authors": [{"family_name": "Li", "given_names": "Wei"}],
    },
    "LaTeX special characters": {
        "title": "Cost & benefit: 50% of R&D $ #1 under_score {braces} ~tilde^ back\\slash",
        "abstract": "A & B; 5% of {x} and <y>.",
        "authors": [{"family_name": "O'Brien", "given_names": "Seán"}],
    },
    "keywords with commas and semicolons": {
        "title": "Keywords",
        "keywords": ["alpha, beta", "gamma; delta", "Ünïcode", "R&D"],
        "authors": [{"family_name": "Xu", "given_names": "Yan"}],
    },
    "capitals to protect": {
        "title": "DNA and the iPhone in Zürich: a McDonald's study of MRI",
        "authors": [{"family_name": "Young", "given_names": "Zoe"}],
    },
    "identifiers and note": {
        "title": "With every identifier",
        "authors": [{"family_name": "Ng", "given_names": "Kim"}],
        "pmid": "12345678",
        "doi": "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
        "url": "https://example.org/a?b=c&d=e#f",
        "bibliographical_note": "Publisher Copyright: © 2017 Someone & Co.",
        "first_page": 7,
        "last_page": 8,
    },
    "page count without pages": {
        "title": "Counted pages",
        "authors": [{"family_name": "Page", "given_names": "Count"}],
        "page_count": 12,
    },
    "submitted": {
        "title": "Under review",
        "authors": [{"family_name": "Doe", "given_names": "Jane"}],
        "state": PublicationState.SUBMITTED,
        "year": 2024,
    },
    "no authors, no language": {"title": "Anonymous work", "language": ""},
}


@pytest.mark.parametrize("name", list(CASES))
def test_tricky_record_round_trips_through_bibtex(db, name):
    article = make_case(**CASES[name])

    before, after, text = round_trip(article)

    assert after == before, text


@pytest.mark.parametrize(
    ("output_type", "publisher_field"),
    [
        (OutputType.BOOK, "publisher = {Wiley \\& Sons}"),
        (OutputType.REPORT, "institution = {Wiley \\& Sons}"),
        (OutputType.THESIS, "school = {Wiley \\& Sons}"),
        # A dataset is a @misc too, and comes back as "other": BibTeX has no dataset type.
        (OutputType.OTHER, "publisher = {Wiley \\& Sons}"),
    ],
)
def test_publisher_without_a_journal_round_trips(db, output_type, publisher_field):
    article = make_article(
        journal=None,
        output_type=output_type,
        title="A work of its own",
        authors=[make_author(family_name="Roe", given_names="Ann")],
        publisher="Wiley & Sons",
    )

    before, after, text = round_trip(article)

    assert publisher_field in text
    assert after["publisher"] == "Wiley & Sons"
    assert after == before, text


def test_single_page_comes_back_as_the_same_page(db):
    # "pages = {7}": a single page is its first and last page, one page long; a count the
    # pages imply is not written.
    article = make_case(title="One page", pages="7")

    before, after, text = round_trip(article)

    assert "pages = {7}," in text and "pagetotal" not in text
    assert (after["first_page"], after["last_page"], after["number_of_pages"]) == (7, 7, 1)
    assert after == before


def normalised(record: dict) -> dict:
    """Return the record as BibTeX can carry it: one @article type, notes on one line."""
    record = dict(record)
    record["note"] = " ".join(record["note"].split())
    if record["output_type"] in (OutputType.REVIEW, OutputType.EDITORIAL, OutputType.LETTER):
        record["output_type"] = OutputType.ARTICLE
    return record


def test_seed_records_round_trip_into_an_empty_catalogue(seed):
    text = "".join(BIBTEX.stream(Article.objects.order_by("pk")))
    before = {a.doi: record_of(a) for a in Article.objects.all()}
    wipe_catalogue()

    batch = import_bibtex(text)

    assert batch.created_count == 3
    after = {a.doi: record_of(a) for a in Article.objects.all()}
    assert after == {doi: normalised(record) for doi, record in before.items()}
    # What BibTeX cannot carry: the review type and the note's line break.
    assert before["10.1146/annurev-clinpsy-050718-095424"]["output_type"] == OutputType.REVIEW
    assert before["10.1037/a0040435"]["note"] == (
        "Publisher Copyright:\n© 2017 American Psychological Association."
    )


def test_seed_records_imported_over_themselves_keep_their_ids_and_fields(seed):
    text = "".join(BIBTEX.stream(Article.objects.order_by("pk")))
    before = {a.pk: record_of(a) for a in Article.objects.all()}

    batch = import_bibtex(text, on_duplicate=OnDuplicate.UPDATE)

    assert batch.created_count == 0
    assert batch.updated_count + batch.duplicate_count == 3
    after = {a.pk: record_of(a) for a in Article.objects.all()}
    # An update keeps what BibTeX cannot say (the review type, the note's line break).
    assert after == before
    assert (Author.objects.count(), Journal.objects.count(), Keyword.objects.count()) == (8, 3, 4)


def test_seed_records_imported_over_themselves_are_unchanged(seed):
    text = "".join(BIBTEX.stream(Article.objects.order_by("pk")))
    before = {a.pk: record_of(a) for a in Article.objects.all()}

    import_bibtex(text, on_duplicate=OnDuplicate.UPDATE)

    assert {a.pk: record_of(a) for a in Article.objects.all()} == before


def test_in_press_record_keeps_its_state_and_undated_year(db):
    article = make_case(
        title="Forthcoming work",
        year=None,
        state=PublicationState.IN_PRESS,
        authors=[{"family_name": "Doe", "given_names": "Jane"}],
    )

    before, after, text = round_trip(article)

    assert "pubstate = {inpress}" in text
    assert after["state"] == PublicationState.IN_PRESS
    assert (after["year"], after["month"], after["day"]) == (None, None, None)
    before.pop("note"), after.pop("note")
    assert after == before


def test_accepted_record_comes_back_in_press(db):
    # biblatex has one pubstate for both (tests/test_formats.py pins "inpress").
    article = make_case(
        title="Accepted work", year=None, state=PublicationState.ACCEPTED, authors=[]
    )

    _before, after, _text = round_trip(article)

    assert after["state"] == PublicationState.IN_PRESS


def test_in_press_record_gains_no_note(db):
    article = make_case(
        title="Forthcoming work",
        year=None,
        state=PublicationState.IN_PRESS,
        authors=[{"family_name": "Doe", "given_names": "Jane"}],
    )

    _before, after, _text = round_trip(article)

    assert after["note"] == ""


def test_braces_in_a_url_come_back_percent_encoded(db):
    # Braces cannot stand in a BibTeX URL field; %7B/%7D is the same address (RFC 3986).
    article = make_case(title="Odd URL", url="https://example.org/q?a={b}")

    before, after, _text = round_trip(article)

    assert after["url"] == "https://example.org/q?a=%7Bb%7D"
    before.pop("url"), after.pop("url")
    assert after == before
