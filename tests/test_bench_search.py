"""The search benchmark's own logic: its word shapes and its reference, Tantivy (bench/).

A tiny catalogue is indexed by bench/tantivy_peer.py into a temporary directory and searched
both ways: the catalogue's totals and facet counts must equal Tantivy's exactly, an
independent implementation of the same AND semantics over the same articles.
"""

import sys
from pathlib import Path

import pytest
from django.test import Client

from catalogue.models import OutputType
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from search_shapes import Draw, Row, check, word_shape
from tantivy_peer import open_peer


def test_word_shapes_by_exact_count() -> None:
    def shape(hits: int) -> str | None:
        return word_shape(hits=hits, articles=1_000_000, threshold=20_000)

    assert shape(4) is None
    assert shape(499) is None
    assert shape(500) == "rare word"
    assert shape(2_000) == "rare word"
    assert shape(2_001) is None
    # 10,000-19,999: the upper half under the threshold, although inside 1-5%.
    assert shape(9_999) is None
    assert shape(10_000) == "word just under the exact threshold"
    assert shape(19_999) == "word just under the exact threshold"
    assert shape(20_000) == "word with 1-5% hits"
    assert shape(50_000) == "word with 1-5% hits"
    assert shape(50_001) is None
    assert shape(100_000) == "broad word"
    assert shape(200_000) == "broad word"
    assert shape(200_001) is None
    # A small catalogue: a "broad" share under the threshold is no broad word (counts exact).
    assert word_shape(hits=6_000, articles=50_000, threshold=20_000) is None
    assert word_shape(hits=12_000, articles=50_000, threshold=20_000) == (
        "word just under the exact threshold"
    )


def test_draw_makes_the_same_query_for_both_engines() -> None:
    draw = Draw(
        words=("glacier", "melting"),
        phrases=("carbon budget",),
        excluded=("tundra",),
        include={"type": ("review",), "peer_reviewed": (True,)},
        exclude={"journal": (7,)},
        year_min=2001,
        year_max=2010,
        page=2,
    )
    assert draw.params() == {
        "q": 'glacier melting "carbon budget" -tundra',
        "type": ["review"],
        "peer_reviewed": ["true"],
        "not_journal": ["7"],
        "year_min": "2001",
        "year_max": "2010",
        "page": "2",
    }
    query = draw.peer()
    assert query.words == ("glacier", "melting")
    assert query.phrases == ("carbon budget",)
    assert query.excluded == ("tundra",)
    assert query.selected == {"type", "peer_reviewed", "journal", "year"}
    assert query.without("year").selected == {"type", "peer_reviewed", "journal"}
    assert query.without("journal").exclude == {}


@pytest.fixture
def catalogue(db):
    """Return a dozen articles with every facet varied."""
    north, south = make_journal(title="Polar Science"), make_journal(title="Soil Letters")
    ice, carbon, soil = (make_keyword(term=t) for t in ("sea ice", "carbon budget", "soil"))
    geology, ecology = make_subject(name="Geology", code="1907"), make_subject(name="Ecology")
    ada = make_author(family_name="Flückiger", given_names="Ada")
    ben = make_author(family_name="Okafor", given_names="Ben")
    cy = make_author(family_name="Lindqvist", given_names="Cy")
    rows = [
        (
            "Glacier melting in <i>Greenland</i>",
            "The glacier retreat.",
            north,
            [ada, ben],
            [ice],
            [geology],
            OutputType.ARTICLE,
            "en",
            True,
            2005,
        ),
        (
            "Melting permafrost and carbon",
            "Tundra carbon budget measured.",
            north,
            [ben],
            [carbon, soil],
            [ecology],
            OutputType.REVIEW,
            "en",
            True,
            2008,
        ),
        (
            "Tundra vegetation",
            "Shrubs expand over the tundra.",
            south,
            [cy],
            [soil],
            [ecology, geology],
            OutputType.ARTICLE,
            "de",
            False,
            2012,
        ),
        (
            "Glacier lakes",
            "Melting glacier lakes grow.",
            south,
            [(ada, {"given_names": "A"})],
            [ice, carbon],
            [geology],
            OutputType.ARTICLE,
            "en",
            True,
            2015,
        ),
        (
            "Carbon budget of soil",
            "Soil carbon and tundra fires.",
            None,
            [cy, ada],
            [carbon],
            [],
            OutputType.REPORT,
            "",
            False,
            2001,
        ),
        (
            "Sea ice thickness",
            "Glacier and sea ice melting.",
            north,
            [ben, cy],
            [ice],
            [geology],
            OutputType.ARTICLE,
            "fr",
            True,
            None,
        ),
        (
            "Permafrost thaw",
            "Thaw releases carbon from permafrost.",
            north,
            [ada],
            [soil, carbon],
            [ecology],
            OutputType.PREPRINT,
            "en",
            False,
            2020,
        ),
        (
            "Glacier carbon export",
            "Glacier melting exports carbon.",
            south,
            [ben],
            [carbon],
            [geology, ecology],
            OutputType.REVIEW,
            "en",
            True,
            2020,
        ),
    ]
    for title, abstract, journal, authors, keywords, subjects, kind, lang, peer, year in rows:
        make_article(
            title=title,
            abstract=abstract,
            journal=journal,
            authors=authors,
            keywords=keywords,
            subject_areas=subjects,
            output_type=kind,
            language=lang,
            peer_reviewed=peer,
            year=year,
        )
    return {
        "north": north.pk,
        "ice": ice.pk,
        "carbon": carbon.pk,
        "geology": geology.pk,
        "ada": ada.pk,
        "ben": ben.pk,
    }


def agreement(peer, draws: list[Draw]) -> Row:
    client = Client()
    row = Row("test")
    for draw in draws:
        response = client.get("/api/articles/", draw.params())
        assert response.status_code == 200, response.content
        check(row, draw.params(), response.json(), peer.answer(draw.peer()), peer)
    return row


def test_the_catalogue_and_tantivy_agree_exactly(catalogue, tmp_path) -> None:
    peer = open_peer(directory=tmp_path / "index", log=lambda text: None)
    assert peer.built and peer.searcher.num_docs == 8
    ids = catalogue
    draws = [
        Draw(),
        Draw(words=("glacier",)),
        Draw(words=("melting", "carbon")),
        Draw(words=("glacier",), excluded=("carbon",)),
        Draw(phrases=("carbon budget",)),
        Draw(words=("fluckiger",)),  # the author's name, folded
        Draw(words=("greenland",)),  # inside a tag in the title: the text is indexed
        Draw(words=("carbon",), include={"type": ("review",)}),
        Draw(words=("carbon",), exclude={"journal": (ids["north"],)}),
        Draw(include={"keyword": (ids["carbon"],)}, year_min=2005, year_max=2016),
        Draw(include={"author": (ids["ada"],), "subject": (ids["geology"],)}),
        Draw(include={"language": ("en",), "peer_reviewed": (False,)}),
        Draw(words=("tundra",), exclude={"type": ("article",), "language": ("de",)}),
    ]
    row = agreement(peer, draws)
    assert [str(item) for item in row.disagreements] == []
    assert row.totals == [len(draws), len(draws)]
    assert row.counts[0] == row.counts[1] > 150
    assert row.tops[0] == row.tops[1] > 50
    # Exact totals, as counted by hand from the fixture.
    totals = [peer.answer(draw.peer()).total for draw in draws]
    assert totals == [8, 4, 3, 2, 5, 4, 1, 2, 3, 2, 2, 1, 2]


def test_a_wrong_count_is_reported(catalogue, tmp_path) -> None:
    peer = open_peer(directory=tmp_path / "index", log=lambda text: None)
    draw = Draw(words=("glacier",))
    body = Client().get("/api/articles/", draw.params()).json()
    body["count"] += 1
    journal = body["facets"]["journal"][0]
    journal["count"] += 2
    row = Row("test")
    check(row, draw.params(), body, peer.answer(draw.peer()), peer)
    assert row.totals == [1, 0]
    assert row.counts[1] == row.counts[0] - 1
    assert [(item.what, item.catalogue - item.tantivy) for item in row.disagreements] == [
        ("total", 1),
        (f"journal={journal['id']!r}", 2),
    ]
    # A value shown as an exact 0 beside estimated values of its facet is explained.
    body = Client().get("/api/articles/", draw.params()).json()
    first, *others = body["facets"]["journal"]
    body["facets"]["journal"] = [{**first, "count": 0}] + [
        {**value, "approximate": True} for value in others
    ]
    row = Row("test")
    check(row, draw.params(), body, peer.answer(draw.peer()), peer)
    assert [(item.what, item.catalogue) for item in row.disagreements] == [
        (f"journal={first['id']!r}", 0)
    ]
    assert "shown as an exact 0" in row.disagreements[0].reason


def test_the_index_is_cached_by_catalogue_fingerprint(catalogue, tmp_path, monkeypatch) -> None:
    import tantivy_peer

    monkeypatch.setattr(tantivy_peer, "CACHE_ROOT", tmp_path)
    first = open_peer(log=lambda text: None)
    again = open_peer(log=lambda text: None)
    assert first.built and not again.built and again.directory == first.directory
    make_article(title="Glacier surge", abstract="")
    changed = open_peer(log=lambda text: None)
    assert changed.built and changed.directory != first.directory
    assert changed.answer(Draw(words=("glacier",)).peer()).total == 5
