"""What a record page embeds for people and reference managers.

The "Cite this" box, Highwire Press `citation_*` meta tags (Google Scholar), a COinS span
(Zotero), schema.org JSON-LD and `<link rel="alternate">` links to the exports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.utils.safestring import SafeString, mark_safe

from catalogue.citations import (
    CitationEngineError,
    CitationStyle,
    StyleError,
    UnknownLocale,
    UnknownStyle,
    available_locales,
    available_styles,
    default_style,
    get_locale,
    get_style,
    render_citation,
    render_citations,
    search_styles,
    style_locale,
)
from catalogue.formats.bibtex import Name
from catalogue.formats.negotiation import TEXT_FORMAT
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article, ContributorRole, OutputType
from catalogue.pages import split_range
from catalogue.records import ArticleRecord, as_record
from catalogue.rich_text import one_space, plain_text


@dataclass(frozen=True)
class CiteEntry:
    """One tab of the Cite box: a style's formatted entry or an export's text."""

    id: str
    label: str
    kind: str  # "style" or "export"
    text: str
    html: str = ""
    download_url: str = ""
    locale: str = ""  # the locale asked for ("" = the style's own)
    chosen: bool = False  # the reader's choice under "More styles", shown as an extra tab
    # Not formatted yet: the panel links to the page showing it, cite.js fetches it on demand.
    deferred: bool = False

    @property
    def anchor(self) -> str:
        """Return the part of the tab's and panel's element ids that names this entry."""
        return "chosen" if self.chosen else self.id


# Longest style id, locale tag or search text the Cite box looks at (longer ones are unknown).
CHOICE_MAX_LENGTH = 200
# How many styles "More styles" lists for a search without JavaScript.
CHOICE_MATCHES = 20


@dataclass(frozen=True)
class CiteChoice:
    """What the reader asked the Cite box for: a style and a locale, or a style search.

    `style` is a style id (core, repository, or "bibtex"/"ris" for those tabs), `locale` a
    locale tag ("" = the style's own), `query` words typed under "More styles" without
    JavaScript. `asked` is True when the request carries the choice (a form or link), False
    when it comes from the reader's remembered cookies.
    """

    style: str = ""
    locale: str = ""
    query: str = ""
    asked: bool = False


@dataclass(frozen=True)
class ChoiceOutcome:
    """What the Cite box made of a CiteChoice: the extra tab, the tab to select, what to say.

    `remember` is the choice to keep in the reader's cookies (None: leave them as they are);
    `forget` says the remembered choice is unusable and is dropped.
    """

    entry: CiteEntry | None = None
    selected: str = ""
    locale: str = ""
    message: str = ""
    matches: tuple[CitationStyle, ...] = ()
    remember: CiteChoice | None = None
    forget: bool = False
    failed: bool = False  # the engine could not format the style (not the reader's mistake)


def _shown(value: str, limit: int = 60) -> str:
    """Return `value` as a message may quote it: no control characters, at most `limit` long."""
    text = "".join(char if char.isprintable() else "\ufffd" for char in value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _style_tab_label(style: CitationStyle, locale: str) -> str:
    return f"{style.label} ({locale})" if locale else style.label


def chosen_style(record: ArticleRecord, choice: CiteChoice, *, url: str) -> ChoiceOutcome:
    """Return the Cite box's extra tab for the reader's choice, or why there is none.

    A box tab's id (a core style in its own locale, BibTeX, RIS) selects that tab; any
    other style, or a core style in another locale, is formatted into an extra tab. Unknown
    styles and locales, and styles the engine cannot use, give a message, never an error.
    """
    style_id, locale, query = choice.style.strip(), choice.locale.strip(), choice.query.strip()
    too_long = max(len(style_id), len(locale), len(query)) > CHOICE_MAX_LENGTH
    kept = choice if choice.asked else None
    if locale:
        try:
            locale = get_locale(locale if not too_long else "")
        except UnknownLocale:
            return ChoiceOutcome(
                message=(
                    f"Unknown language “{_shown(choice.locale.strip())}”: "
                    "choose one from the list under “More styles”."
                ),
                forget=not choice.asked,
            )
    matches: tuple[CitationStyle, ...] = ()
    if query and not style_id:
        try:
            style_id = get_style(query).id
        except UnknownStyle:
            matches = tuple(search_styles(query[:CHOICE_MAX_LENGTH], limit=CHOICE_MATCHES))
            if len(matches) != 1:
                message = (
                    f"Styles matching “{_shown(query)}”: choose one."
                    if matches
                    else f"No style matches “{_shown(query)}”: try other words, or browse "
                    "every style."
                )
                return ChoiceOutcome(message=message, matches=matches, locale=locale)
            style_id = matches[0].id
    if not style_id:
        return ChoiceOutcome(locale=locale)
    if style_id in _EXPORT_TABS:
        remember = CiteChoice(style=style_id, asked=True) if kept else None
        return ChoiceOutcome(selected=style_id, remember=remember)
    try:
        style = get_style(style_id if not too_long else "")
        asked = locale if locale and locale != style_locale(style) else ""
    except UnknownStyle:
        return ChoiceOutcome(
            message=(
                f"Unknown citation style “{_shown(style_id)}”: choose one under "
                "“More styles”, or browse every style."
            ),
            locale=locale,
            forget=not choice.asked,
        )
    remember = CiteChoice(style=style.id, locale=asked, asked=True) if kept else None
    if style.core and not asked:
        return ChoiceOutcome(selected=style.id, remember=remember)
    try:
        citation = render_citation(record, style=style.id, locale=asked or None)
    except StyleError:
        return ChoiceOutcome(
            message=(
                f"The style “{_shown(style.label, 120)}” cannot be used: the citation engine "
                "could not build it. The other styles below still work."
            ),
            locale=asked,
            failed=True,
        )
    except CitationEngineError:
        return ChoiceOutcome(
            message=(
                f"The style “{_shown(style.label, 120)}” cannot be formatted right now; "
                "the other styles below still work."
            ),
            locale=asked,
            failed=True,
        )
    query_string = {"format": TEXT_FORMAT, "style": style.id}
    if asked:
        query_string["locale"] = asked
    entry = CiteEntry(
        id=style.id,
        label=_style_tab_label(style, asked),
        kind="style",
        text=citation["text"],
        # The engine escapes everything user-supplied; only its own markup is left.
        html=mark_safe(citation["html"]),  # noqa: S308
        download_url=f"{url}?{urlencode(query_string)}",
        locale=asked,
        chosen=True,
    )
    return ChoiceOutcome(entry=entry, selected=style.id, locale=asked, remember=remember)


_EXPORT_TABS = ("bibtex", "ris")


def style_entry(style_id: str, citation: dict[str, str], *, url: str) -> CiteEntry:
    """Return the Cite box tab of a core style in its own locale, formatted as `citation`."""
    return CiteEntry(
        id=style_id,
        label=available_styles()[style_id].label,
        kind="style",
        text=citation["text"],
        # The engine escapes everything user-supplied; only its own markup is left.
        html=mark_safe(citation["html"]),  # noqa: S308
        download_url=f"{url}?{urlencode({'format': TEXT_FORMAT, 'style': style_id})}",
    )


def cite_box(
    record: ArticleRecord, *, url: str, choice: CiteChoice | None = None
) -> dict[str, Any]:
    """Return the Cite box: the reader's chosen style, every core style, BibTeX and RIS.

    Only the style the box opens on is formatted (render_citations, cached); the other core
    styles are deferred tabs, fetched by cite.js (articles/<id>/cite/?fragment=1) or, without
    JavaScript, links to the page in that style. If the engine fails, the box still offers
    BibTeX and RIS, with `error` set. `choice` (from the request or the reader's cookies) adds
    an extra tab or selects a tab; see chosen_style.
    """
    entries: list[CiteEntry] = []
    error = ""
    styles = available_styles()
    outcome = chosen_style(record, choice, url=url) if choice else ChoiceOutcome()
    if outcome.entry or outcome.selected in _EXPORT_TABS:
        shown_style = ""
    elif outcome.selected in styles:
        shown_style = outcome.selected
    else:
        shown_style = default_style()
    citations: dict[str, dict[str, str]] = {}
    try:
        if shown_style:
            citations = render_citations(record, styles=[shown_style])
    except CitationEngineError:
        styles = {}
        error = "Formatted citations are unavailable right now; BibTeX and RIS are below."
    for style_id, style in styles.items():
        if style_id in citations:
            entries.append(style_entry(style_id, citations[style_id], url=url))
        else:
            entries.append(
                CiteEntry(
                    id=style_id,
                    label=style.label,
                    kind="style",
                    text="",
                    download_url=f"{url}?{urlencode({'format': TEXT_FORMAT, 'style': style_id})}",
                    deferred=True,
                )
            )
    if outcome.entry:
        # The reader's own choice comes first: the first panel without JavaScript.
        entries.insert(0, outcome.entry)
    for name in _EXPORT_TABS:
        export = EXPORT_FORMATS[name]
        text = export.render(record).replace("\r\n", "\n").strip()
        entries.append(
            CiteEntry(
                id=name,
                label=export.label,
                kind="export",
                text=text,
                download_url=f"{url}?format={name}",
            )
        )
    shown = {entry.id for entry in entries if not entry.chosen}
    if outcome.entry:
        selected = "chosen"
    elif outcome.selected in shown:
        selected = outcome.selected
    else:
        selected = default_style() if styles else entries[0].id
    return {
        "entries": entries,
        "default": selected,
        "error": error,
        "path": url,
        "choice": outcome,
        "query": choice.query if choice else "",
        "locales": available_locales(),
        "downloads": [
            (export.label, f"{url}?format={export.name}") for export in EXPORT_FORMATS.values()
        ],
    }


def alternates(*, url: str) -> list[tuple[str, str, str]]:
    """Return (media type, href, title) of the article's other representations."""
    return [
        (export.media_type, f"{url}?format={export.name}", export.label)
        for export in EXPORT_FORMATS.values()
    ]


def _date(record: ArticleRecord, separator: str) -> str:
    parts = [f"{record.year:04d}"] if record.year else []
    if record.year and record.month:
        parts.append(f"{record.month:02d}")
        if record.day:
            parts.append(f"{record.day:02d}")
    return separator.join(parts)


def _inverted(name: Name) -> str:
    if name.corporate:
        return one_space(name.corporate)
    family = " ".join(part for part in (name.particle, name.family) if part)
    parts = [family, name.given, name.suffix]
    return ", ".join(one_space(part) for part in parts if part)


def _display(name: Name) -> str:
    if name.corporate:
        return one_space(name.corporate)
    parts = [name.given, name.particle, name.family]
    text = " ".join(one_space(part) for part in parts if part)
    return f"{text} {one_space(name.suffix)}" if name.suffix else text


def _page_ends(record: ArticleRecord) -> tuple[str, str]:
    """Return the printed first and last page of the record's (first) range, else ("", "")."""
    if not record.pages:
        return "", ""
    return split_range(record.pages.split(",")[0].strip())


# Highwire tag of a record's container by output type (the journal's otherwise).
_CONTAINER_TAGS = {
    OutputType.CHAPTER: "citation_inbook_title",
    OutputType.CONFERENCE_PAPER: "citation_conference_title",
    OutputType.CONFERENCE_ABSTRACT: "citation_conference_title",
}


def highwire_tags(record: ArticleRecord) -> list[tuple[str, str]]:
    """Return the Highwire Press (Google Scholar) `citation_*` meta tags as (name, content).

    Authors come one tag each in position order; ISSNs and keywords one tag each; dates are
    YYYY/MM/DD at the stored precision. The values are plain text (the template escapes).
    """
    tags: list[tuple[str, str]] = [("citation_title", plain_text(record.title))]
    tags += [("citation_author", _inverted(name)) for name in record.authors]
    date = _date(record, "/")
    if date:
        tags += [("citation_publication_date", date), ("citation_date", date)]
    container_tag = _CONTAINER_TAGS.get(record.output_type)
    if container_tag:
        container = record.journal_title or record.book_title
        tags.append((container_tag, one_space(plain_text(container))))
    else:
        tags.append(("citation_journal_title", one_space(plain_text(record.journal_title))))
        tags.append(("citation_inbook_title", one_space(plain_text(record.book_title))))
    first_page, last_page = _page_ends(record)
    tags += [
        ("citation_journal_abbrev", one_space(record.journal_abbreviation)),
        ("citation_publisher", one_space(record.publisher)),
        # Google Scholar reads a thesis's school and a report's institution from these.
        (_INSTITUTION_TAGS.get(record.output_type, ""), one_space(record.publisher)),
        ("citation_volume", record.volume),
        ("citation_issue", record.issue),
        # Pages as printed; an article number stands in for the first page, as PLOS and
        # others publish it.
        ("citation_firstpage", first_page or record.article_number),
        ("citation_lastpage", last_page),
        ("citation_technical_report_number", record.report_number),
        ("citation_doi", record.doi),
        ("citation_pmid", record.pmid),
        ("citation_isbn", one_space(record.isbn)),
    ]
    tags += [("citation_issn", issn) for issn in record.issns]
    tags += [("citation_keywords", one_space(term)) for term in record.keywords]
    tags += [
        ("citation_language", record.language),
        ("citation_abstract", plain_text(record.abstract)),
    ]
    return [(name, value.strip()) for name, value in tags if name and value and value.strip()]


_INSTITUTION_TAGS = {
    OutputType.THESIS: "citation_dissertation_institution",
    OutputType.REPORT: "citation_technical_report_institution",
}


_COINS_BOOK_GENRES = {
    OutputType.BOOK: "book",
    OutputType.CHAPTER: "bookitem",
    OutputType.REPORT: "report",
}
_COINS_JOURNAL_GENRES = {
    OutputType.CONFERENCE_PAPER: "proceeding",
    OutputType.CONFERENCE_ABSTRACT: "conference",
    OutputType.PREPRINT: "preprint",
}


def coins(record: ArticleRecord) -> str:
    """Return the OpenURL ContextObject (KEV, Z39.88-2004) for a COinS span's title.

    URL-encoded here; the template HTML-escapes it (the `&`s) into the attribute.
    """
    book_genre = _COINS_BOOK_GENRES.get(record.output_type)
    pairs: list[tuple[str, str]] = [("ctx_ver", "Z39.88-2004")]
    title = plain_text(record.title)
    container = one_space(plain_text(record.journal_title or record.book_title))
    if book_genre:
        pairs += [("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"), ("rft.genre", book_genre)]
        if book_genre == "bookitem":
            pairs += [("rft.atitle", title), ("rft.btitle", container)]
        else:
            pairs += [("rft.btitle", title)]
    else:
        genre = _COINS_JOURNAL_GENRES.get(record.output_type, "article")
        pairs += [("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", genre)]
        pairs += [("rft.atitle", title), ("rft.jtitle", container)]
        pairs += [("rft.stitle", one_space(record.journal_abbreviation))]
    if record.authors:
        first = record.authors[0]
        if first.corporate:
            pairs.append(("rft.aucorp", one_space(first.corporate)))
        else:
            family = " ".join(part for part in (first.particle, first.family) if part)
            pairs += [("rft.aulast", one_space(family)), ("rft.aufirst", one_space(first.given))]
            pairs.append(("rft.ausuffix", one_space(first.suffix)))
    pairs += [("rft.au", _display(name)) for name in record.authors]
    first_page, last_page = _page_ends(record)
    pairs += [
        ("rft.date", _date(record, "-")),
        ("rft.volume", record.volume),
        ("rft.issue", record.issue),
        ("rft.spage", first_page),
        ("rft.epage", last_page),
        ("rft.pages", record.pages),
        ("rft.artnum", record.article_number),
        ("rft.pub", one_space(record.publisher)),
        ("rft.place", one_space(record.place)),
        ("rft.edition", one_space(record.edition)),
        ("rft.series", one_space(record.series)),
        ("rft.isbn", one_space(record.isbn)),
        ("rft.language", record.language),
    ]
    if record.issns:
        pairs.append(("rft.issn", record.issns[0]))
    if len(record.issns) > 1:
        pairs.append(("rft.eissn", record.issns[1]))
    if record.doi:
        pairs.append(("rft_id", f"info:doi/{record.doi}"))
    if record.pmid:
        pairs.append(("rft_id", f"info:pmid/{record.pmid}"))
    if record.url:
        pairs.append(("rft_id", record.url))
    return urlencode([(key, value) for key, value in pairs if value], quote_via=quote)


_SCHEMA_TYPES = {
    OutputType.BOOK: "Book",
    OutputType.CHAPTER: "Chapter",
    OutputType.REPORT: "Report",
    OutputType.THESIS: "Thesis",
    OutputType.DATASET: "Dataset",
    OutputType.WEBPAGE: "WebPage",
}
# What json.dumps leaves that could end a <script> element or open a comment in it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld_data(record: ArticleRecord, *, url: str) -> dict[str, Any]:
    """Return the schema.org description of the article (ScholarlyArticle for journal items)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": _SCHEMA_TYPES.get(record.output_type, "ScholarlyArticle"),
        "@id": url,
        "url": url,
        "name": plain_text(record.title),
        "headline": plain_text(record.title)[:110],
    }
    for prop, names in (
        ("author", record.authors),
        # A chapter's editors edited its book (isPartOf below).
        (
            "editor",
            record.names(ContributorRole.EDITOR)
            if record.output_type != OutputType.CHAPTER
            else [],
        ),
        ("translator", record.names(ContributorRole.TRANSLATOR)),
    ):
        if names:
            data[prop] = [_schema_person(name) for name in names]
    date = _date(record, "-")
    if date:
        data["datePublished"] = date
    if record.is_in_press:
        data["creativeWorkStatus"] = "In press"
    container: dict[str, Any] | None = None
    book_title = record.book_title or (
        record.journal_title if record.output_type == OutputType.CHAPTER else ""
    )
    if book_title:
        book: dict[str, Any] = {"@type": "Book", "name": one_space(plain_text(book_title))}
        book_editors = record.names(ContributorRole.EDITOR)
        if record.output_type == OutputType.CHAPTER and book_editors:
            book["editor"] = [_schema_person(name) for name in book_editors]
        if record.isbn and record.output_type == OutputType.CHAPTER:
            book["isbn"] = one_space(record.isbn)
        data["isPartOf"] = book
    if record.journal_title and record.output_type != OutputType.CHAPTER:
        container = {"@type": "Periodical", "name": one_space(plain_text(record.journal_title))}
        if record.journal_abbreviation:
            container["alternateName"] = one_space(record.journal_abbreviation)
        if record.issns:
            container["issn"] = record.issns
        if record.publisher:
            container["publisher"] = {"@type": "Organization", "name": record.publisher}
        if record.volume:
            container = {
                "@type": "PublicationVolume",
                "volumeNumber": record.volume,
                "isPartOf": container,
            }
        if record.issue:
            container = {
                "@type": "PublicationIssue",
                "issueNumber": record.issue,
                "isPartOf": container,
            }
        data["isPartOf"] = container
    first_page, last_page = _page_ends(record)
    if first_page:
        data["pageStart"] = first_page
    if last_page:
        data["pageEnd"] = last_page
    if record.pages or record.article_number:
        data["pagination"] = record.pages or record.article_number
    if record.isbn and record.output_type != OutputType.CHAPTER:
        data["isbn"] = one_space(record.isbn)
    if record.edition:
        data["bookEdition"] = one_space(record.edition)
    identifiers = []
    if record.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": record.doi})
        data["sameAs"] = f"https://doi.org/{record.doi}"
    if record.pmid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMID", "value": record.pmid})
    if identifiers:
        data["identifier"] = identifiers
    if record.abstract.strip():
        data["abstract"] = plain_text(record.abstract)
    if record.keywords:
        data["keywords"] = [one_space(term) for term in record.keywords]
    if record.language:
        data["inLanguage"] = record.language
    return data


def _schema_person(name: Name) -> dict[str, str]:
    """Return a printed name as a schema.org Person (or Organization for a corporate name)."""
    if name.corporate:
        return {"@type": "Organization", "name": one_space(name.corporate)}
    person = {"@type": "Person", "name": _display(name), "familyName": one_space(name.family)}
    if name.given:
        person["givenName"] = one_space(name.given)
    if name.particle:
        person["familyName"] = one_space(f"{name.particle} {name.family}")
    if name.suffix:
        person["honorificSuffix"] = one_space(name.suffix)
    return person


def json_ld(record: ArticleRecord, *, url: str) -> SafeString:
    """Return the JSON-LD as text safe inside <script type="application/ld+json">."""
    text = json.dumps(json_ld_data(record, url=url), ensure_ascii=False, indent=1)
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # noqa: S308 - <, > and & are escaped


def article_page_context(
    article: Article, *, url: str, choice: CiteChoice | None = None
) -> dict[str, Any]:
    """Return the Cite box and the metadata for the article page; `url` is its absolute URL.

    Uses the article's prefetched authors and keywords (no queries) and the citation cache;
    `choice` is the reader's style and locale for the Cite box (see chosen_style).
    """
    record = as_record(article)
    path = article.get_absolute_url()
    return {
        "cite": cite_box(record, url=path, choice=choice),
        "highwire": highwire_tags(record),
        "coins": coins(record),
        "json_ld": json_ld(record, url=url),
        "alternates": alternates(url=path),
    }
