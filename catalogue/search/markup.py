"""The results page's repeated markup, built in Python: each result's <li>, the year bars, and
the facets' sections with their values.

Twenty results through the template engine (some 900 variables, each number localised) were a
third of an uncached results page's CPU at 1M articles, a century of year bars more than the rest
of the sidebar, and the facets' values (an include per value) a third of what was left of the
results body (docs/performance.md). Each function escapes every value it puts in the markup;
what they return is marked safe for `_search_body.html`, `_facet_years.html` and
`search_facet.html`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from html import escape as escape_html

from django.utils.safestring import SafeString, mark_safe

from catalogue.models import Article
from catalogue.search.links import detail_url
from catalogue.search.results import FacetResult, FacetValue
from catalogue.search.scopes import Scope
from catalogue.templatetags.catalogue_tags import printed_name


def result_rows(articles: Iterable[Article], *, scope: Scope | None = None) -> SafeString:
    """Return the results' <li> elements, every value escaped."""
    return mark_safe("".join(_result_row(article, scope) for article in articles))  # noqa: S308


def year_bars(bars: Iterable[dict]) -> SafeString:
    """Return the year histogram's <li> bars, every value escaped."""
    return mark_safe("".join(_year_bar(bar) for bar in bars))  # noqa: S308


def facet_sections(facets: Iterable[FacetResult]) -> SafeString:
    """Return the sidebar's value facets (each a <section> with its values), every value
    escaped; a facet without values shows nothing."""
    return mark_safe("".join(_facet_section(facet) for facet in facets))  # noqa: S308


def facet_value(value: FacetValue) -> SafeString:
    """Return one facet value's <li> (its links from decorate_values), every value escaped:
    the sidebar's and a facet's full list's."""
    return mark_safe(_facet_value(value))  # noqa: S308


# Authors named in a result; "and N more" counts the others.
AUTHORS_SHOWN = 10
# One search result, as _search_body.html lists them (every value escaped in _result_row).
# Built in Python, not with a template loop: twenty results through the template engine
# (some 900 variables, each number localised) were a third of an uncached page's time.
# The Select checkbox is unchecked (the body is cached for every visitor: selected.js marks
# this visitor's selection from /selected/ids/) and posts through the header's form (which
# holds the visitor's CSRF token); Cite opens the record's Cite box in a dialog (selected.js,
# /articles/<id>/cite/?box=1), without JavaScript a link to the record page's Cite box.
_RESULT = (
    '\n      \n<li class="result" id="result-{pk}">\n'
    '  <h3 class="result__title" id="result-title-{pk}"><a href="{url}">{title}</a></h3>\n'
    "  {authors}\n"
    '  <p class="result__source"><span class="result__type">{type}</span>{source}</p>\n'
    "  {snippet}\n"
    '  <div class="result__actions">\n'
    '    <span class="result__select"><input type="checkbox" id="select-{pk}" name="add" '
    'value="{pk}" form="selected-form" aria-labelledby="select-label-{pk} result-title-{pk}" '
    'data-select-box><label id="select-label-{pk}" for="select-{pk}">Select</label></span>\n'
    '    <a class="result__cite" href="{url}#cite-heading" id="cite-link-{pk}" '
    'aria-labelledby="cite-link-{pk} result-title-{pk}" data-cite-dialog="{cite}?box=1">Cite</a>\n'
    "  </div>\n"
    "</li>\n\n      "
)


@functools.lru_cache(maxsize=8)
def _choices(field: str) -> dict:
    return dict(Article._meta.get_field(field).flatchoices)


def _choice_label(field: str, value: str) -> str:
    """Return what get_<field>_display() returns, without its per-call hashing of the
    choices (40 calls a page)."""
    return str(_choices(field).get(value, value))


def _html(value: object) -> str:
    """Return `value` as HTML: safe strings (highlighted titles, snippets) as they are."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape_html(str(value))


def _result_authors(article: Article, scope: Scope | None) -> str:
    """Return the result's author line (the first AUTHORS_SHOWN slots), or ""."""
    authorships = article.ordered_authorships
    if not authorships:
        return ""
    own = scope.pk if scope is not None and scope.kind == "author" else None
    names = []
    for authorship in authorships[:AUTHORS_SHOWN]:
        name = escape_html(printed_name(authorship))
        if own is not None and authorship.author_id == own:
            # On an author page the person's own printed name is marked, not linked.
            names.append(f"<strong>{name}</strong>")
        else:
            names.append(f'<a href="{escape_html(authorship.author_url)}">{name}</a>')
    more = len(authorships) - AUTHORS_SHOWN
    return (
        '\n  <p class="result__authors">'
        + ", ".join(names)
        + (f" and {more} more" if more > 0 else "")
        + (" et al." if article.et_al else "")
        + "</p>\n  "
    )


def _result_source(article: Article) -> str:
    """Return the result's source line after its output type: journal, volume(issue),
    pages, state and date, peer review."""
    parts = []
    if article.journal:
        parts.append(f' · <span class="result__journal">{_html(article.journal.title)}</span>')
    if article.volume:
        parts.append(f", {_html(article.volume)}")
        if article.issue:
            parts.append(f"({_html(article.issue)})")
    if article.pages_or_number:
        parts.append(f", {_html(article.pages_or_number)}")
    date = article.date_text or article.date_display
    if date:
        parts.append(
            f' · <span class="result__date">{_html(_choice_label("state", article.state))} - '
            f"{_html(date)}</span>"
        )
    if article.peer_reviewed:
        parts.append(' · <span class="result__peer">Peer reviewed</span>')
    return "".join(parts)


def _result_row(article: Article, scope: Scope | None) -> str:
    """Return one result's <li> (with the list's whitespace around it), everything escaped."""
    snippet = article.snippet_html
    return _RESULT.format(
        pk=int(article.pk),
        url=escape_html(article.url),
        title=_html(article.title_html),
        authors=_result_authors(article, scope),
        type=_html(_choice_label("output_type", article.output_type)),
        source=_result_source(article),
        snippet=f'<p class="result__snippet">{_html(snippet)}</p>' if snippet else "",
        cite=escape_html(detail_url("catalogue:article-cite", article.pk)),
    )


def _year_bar(bar: dict) -> str:
    """Return one bar of the year histogram (_facet_years.html): a link to its year, or an
    empty mark. Built in Python: a century of bars through the template engine took longer
    than the rest of the sidebar."""
    classes = "histogram__bar"
    if not bar["in_range"]:
        classes += " histogram__bar--outside"
    if not bar["count"]:
        classes += " histogram__bar--empty"
    year = int(bar["year"])
    if not bar["url"]:
        inner = (
            f'<span class="histogram__empty" title="{year}: none">'
            f'<span class="visually-hidden">{year}: no results</span></span>'
        )
    else:
        text = escape_html(bar["count_text"])
        plural = "" if bar["count"] == 1 else "s"
        inner = (
            f'<a href="{escape_html(bar["url"])}" style="--height: {int(bar["height"])}%" '
            f'title="{year}: {text}"><span class="visually-hidden">{year}: {text} '
            f"result{plural}</span></a>"
        )
    return f'<li class="{classes}">{inner}</li>'


# One value of a facet, as the sidebar and a facet's full list show it (every value escaped in
# _facet_value): a selected or excluded value links to its removal, any other to selecting it
# and to excluding it.
_VALUE_CHOSEN = (
    '<li class="facet__value {state}">\n      \n'
    '      <a class="facet__link" href="{remove}" aria-label="{action} {label}">'
    '<span class="facet__check" aria-hidden="true">{check}</span> '
    '<span class="facet__label">{label}</span></a>\n      \n'
    '      <span class="facet__count">{count}</span>\n    </li>'
)
_VALUE_OPEN = (
    '<li class="facet__value">\n      \n'
    '      <a class="facet__link" href="{include}"><span class="facet__label">{label}</span></a>\n'
    '      <a class="facet__exclude" href="{exclude}" title="Exclude {label}" '
    'aria-label="Exclude {label}">−</a>\n      \n'
    '      <span class="facet__count">{count}</span>\n    </li>'
)


def _facet_value(value: FacetValue) -> str:
    """Return one facet value's <li>, everything escaped."""
    label = _html(value.label)
    count = _html(value.count_text)
    if value.selected or value.excluded:
        return _VALUE_CHOSEN.format(
            state="facet__value--selected" if value.selected else "facet__value--excluded",
            remove=escape_html(value.remove_url),
            action="Remove" if value.selected else "Stop excluding",
            check="✓" if value.selected else "−",
            label=label,
            count=count,
        )
    return _VALUE_OPEN.format(
        include=escape_html(value.include_url),
        exclude=escape_html(value.exclude_url),
        label=label,
        count=count,
    )


def _facet_section(facet: FacetResult) -> str:
    """Return one facet's <section> (heading, values, note, "more" link) with the whitespace
    its template include had around it, or that whitespace alone when it has no values."""
    if not facet.values:
        return "\n\n"
    name = _html(facet.name)
    label = _html(facet.label)
    values = "".join(f"\n    {_facet_value(value)}\n    " for value in facet.values)
    note = getattr(facet, "note", "")
    if note:
        note = f'<p class="facet__note">{_html(note)}</p>'
    elif facet.approximate:
        note = '<p class="facet__note">Counts estimated from a sample of the results.</p>'
    more = ""
    if facet.has_more:
        more = (
            f'<a class="facet__more" href="{escape_html(facet.more_url)}" '
            f'data-facet-more="{name}">All {_html(str(facet.label).lower())} values…</a>'
        )
    return (
        f'\n\n<section class="facet" aria-labelledby="facet-{name}">\n'
        f'  <h3 id="facet-{name}" class="facet__heading">{label}</h3>\n'
        f'  <ul class="facet__values">\n    {values}\n  </ul>\n'
        f"  {note}\n  {more}\n</section>\n\n"
    )
