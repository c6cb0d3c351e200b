"""Tests for catalogue.search.markup's facet sections: every value escaped, every branch."""

import re

from catalogue.search import markup
from catalogue.search.results import FacetResult, FacetValue

HOSTILE = '<script>alert("x")</script>&'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"


def value(label: str, *, selected: bool = False, excluded: bool = False) -> FacetValue:
    """Return a facet value with hostile text in its label, count text and links."""
    item = FacetValue(id=1, label=label, count=3, selected=selected, excluded=excluded)
    item.count_text = f"3{HOSTILE}"
    item.include_url = f"?in={HOSTILE}&a=1"
    item.exclude_url = f"?ex={HOSTILE}&a=1"
    item.remove_url = f"?rm={HOSTILE}&a=1"
    return item


def test_every_part_of_a_facet_section_is_escaped():
    facet = FacetResult(
        name=f"n{HOSTILE}",
        label=f"L{HOSTILE}",
        values=[
            value(f"open{HOSTILE}"),
            value(f"chosen{HOSTILE}", selected=True),
            value(f"dropped{HOSTILE}", excluded=True),
        ],
        has_more=True,
    )
    facet.more_url = f"/search/facets/n/?q={HOSTILE}&b=2"
    facet.note = f"note{HOSTILE}"

    html = markup.facet_sections([facet])

    assert "<script" not in html
    assert re.findall(r"&(?!amp;|lt;|gt;|quot;)", html) == []
    assert f'<section class="facet" aria-labelledby="facet-n{ESCAPED}">' in html
    assert f'<h3 id="facet-n{ESCAPED}" class="facet__heading">L{ESCAPED}</h3>' in html
    assert f'<p class="facet__note">note{ESCAPED}</p>' in html
    assert (
        f'<a class="facet__more" href="/search/facets/n/?q={ESCAPED}&amp;b=2" '
        f'data-facet-more="n{ESCAPED}">All l{ESCAPED.lower()} values…</a>'
    ) in html
    assert (
        f'<a class="facet__link" href="?in={ESCAPED}&amp;a=1"><span class="facet__label">'
        f"open{ESCAPED}</span></a>"
    ) in html
    assert (
        f'<a class="facet__exclude" href="?ex={ESCAPED}&amp;a=1" title="Exclude open{ESCAPED}" '
        f'aria-label="Exclude open{ESCAPED}">−</a>'
    ) in html
    assert (
        f'<a class="facet__link" href="?rm={ESCAPED}&amp;a=1" aria-label="Remove chosen{ESCAPED}">'
    ) in html
    assert f'aria-label="Stop excluding dropped{ESCAPED}"' in html
    assert html.count(f'<span class="facet__count">3{ESCAPED}</span>') == 3


def test_a_facet_value_shows_its_state_and_the_links_it_needs():
    open_value = markup.facet_value(value("open"))
    chosen = markup.facet_value(value("chosen", selected=True))
    dropped = markup.facet_value(value("dropped", excluded=True))

    assert open_value.startswith('<li class="facet__value">')
    assert "?in=" in open_value and "?ex=" in open_value and "?rm=" not in open_value
    assert chosen.startswith('<li class="facet__value facet__value--selected">')
    assert '<span class="facet__check" aria-hidden="true">✓</span>' in chosen
    assert "?rm=" in chosen and "?in=" not in chosen and "?ex=" not in chosen
    assert dropped.startswith('<li class="facet__value facet__value--excluded">')
    assert '<span class="facet__check" aria-hidden="true">−</span>' in dropped
    assert "?rm=" in dropped and "?in=" not in dropped
    # The full list's template shows the same markup through the value itself.
    assert value("open").html == open_value


def test_an_estimated_facet_says_so_and_an_empty_one_shows_nothing():
    estimated = FacetResult(name="author", label="Author", values=[value("a")], approximate=True)
    empty = FacetResult(name="journal", label="Journal")

    html = markup.facet_sections([estimated, empty])

    assert '<p class="facet__note">Counts estimated from a sample of the results.</p>' in html
    assert "facet-journal" not in html
    assert "facet__more" not in html
    assert html.count("<section") == 1
