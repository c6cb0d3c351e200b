"""Selected records: /selected/ lists, exports and changes the visitor's selection.

GET /selected/ is the list (remove, clear, export, a bibliography to copy); with
?format=bibtex|ris|csl-json|text the selection as a download (the list exports' machinery,
formats/exports.py), with ?style=<id> (&locale=) a formatted bibliography as plain text, and
&output=html the same as an HTML fragment (the page's "Copy as HTML"). GET /selected/ids/ is
the selection as JSON (selected.js marks the checkboxes of cached search pages with it).
POST /selected/ with add=<id> and remove=<id> (repeatable, or comma-separated) or clear=1
changes it: a redirect back (`next`, a local path) for a form, JSON for a script that asks
with Accept: application/json. A bad or unknown id or a change past the limit changes nothing
and says why (400, 404, 409).
"""

from __future__ import annotations

from html import escape as escape_html

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from catalogue.citations import (
    CitationEngineError,
    StyleError,
    available_styles,
    default_style,
    stream_bibliography,
)
from catalogue.formats import exports
from catalogue.formats.negotiation import TEXT_FORMAT
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article
from catalogue.search.links import detail_url
from catalogue.search.trail import is_local_path
from catalogue.selected import (
    SELECTED_MAX,
    ListedRecord,
    SelectionError,
    change_selection,
    listed_records,
    parse_ids,
    selected_ids,
)

TEMPLATE = "catalogue/selected_list.html"
BASENAME = "selected-records"
OUTPUTS = ("text", "html")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _split(values: list[str]) -> list[str]:
    # "Select all on this page" sends the page's ids in one value: "12,13,14".
    return [part for value in values for part in value.split(",")] if values else []


def _back(request: HttpRequest) -> str:
    """Return the local path to go back to after a form's change (the list by default)."""
    target = request.POST.get("next", "")
    if is_local_path(target):
        return target
    return reverse("catalogue:selected")


def _state(request: HttpRequest) -> dict[str, object]:
    ids = selected_ids(request.session)
    return {"ids": ids, "count": len(ids), "limit": SELECTED_MAX}


def _change(request: HttpRequest) -> HttpResponse:
    """Apply a POSTed change; answer JSON to a script, else redirect back with a message."""
    as_json = _wants_json(request)
    try:
        add = parse_ids(_split(request.POST.getlist("add")), field="add")
        remove = parse_ids(_split(request.POST.getlist("remove")), field="remove")
        clear = request.POST.get("clear", "") not in ("", "0")
        if not (add or remove or clear):
            raise SelectionError(
                "Nothing to change: send add=<id>, remove=<id> or clear=1 (ids are whole "
                "numbers such as 42)."
            )
        change = change_selection(request.session, add=add, remove=remove, clear=clear)
    except SelectionError as error:
        if as_json:
            return JsonResponse({"error": str(error), **_state(request)}, status=error.status)
        return _render_list(request, error=str(error), status=error.status)
    if as_json:
        return JsonResponse(
            {
                "message": change.message(),
                "added": list(change.added),
                "removed": list(change.removed),
                **_state(request),
            }
        )
    messages.success(request, change.message())
    return redirect(_back(request))


def _render_list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    """Render the list of the selected records (three queries: session, articles, authors)."""
    ids = selected_ids(request.session)
    articles = listed_records(ids)
    styles = available_styles()
    context = {
        "articles": articles,
        # Each part escaped in _row.
        "rows": mark_safe("".join(_row(record, _record_url(record.pk)) for record in articles)),  # noqa: S308
        "count": len(ids),
        "limit": SELECTED_MAX,
        "error": error,
        "formats": [(export.name, export.label) for export in EXPORT_FORMATS.values()],
        "styles": [(style.id, style.label) for style in styles.values()],
        "default_style": default_style(),
        "export": exports.export_menu(reverse("catalogue:selected")),
        "missing": len(ids) - len(articles),
    }
    response = render(request, TEMPLATE, context, status=status)
    # Per visitor and changing: never kept by a browser's or a proxy's cache.
    add_never_cache_headers(response)
    return response


# One listed record. Built in Python, not with a template loop: 1,000 records through the
# template engine (and its localisation of every number) took most of the page's time.
_ROW = (
    '<li class="result" id="selected-{pk}" data-selected-item="{pk}">\n'
    '<h3 class="result__title" id="selected-title-{pk}"><a href="{url}">{title}</a></h3>\n'
    "{authors}"
    '<p class="result__source">{source}</p>\n'
    '<p class="result__actions"><button type="submit" form="selected-form" name="remove" '
    'value="{pk}" class="button--secondary" id="remove-{pk}" '
    'aria-labelledby="remove-{pk} selected-title-{pk}" data-select-remove>Remove</button></p>\n'
    "</li>\n"
)
_AUTHORS = '<p class="result__authors">{names}{more}{et_al}</p>\n'


def _row(record: ListedRecord, url: str) -> str:
    """Return one listed record's <li>, everything from the record escaped.

    html.escape (what django.utils.html.escape calls) without format_html's per-argument
    wrappers: a third of the page's time at 1,000 records.
    """
    authors = ""
    if record.authors:
        authors = _AUTHORS.format(
            names=escape_html(", ".join(record.authors)),
            more=f" and {record.more_authors} more" if record.more_authors else "",
            et_al=" et al." if record.et_al else "",
        )
    source = " · ".join(
        part for part in (record.type_label, record.journal, str(record.year or "")) if part
    )
    return _ROW.format(
        pk=int(record.pk),
        url=escape_html(url),
        title=record.title_html,  # rich_text: escaped but for the CSL markup it keeps
        authors=authors,
        source=escape_html(source),
    )


def _record_url(pk: int) -> str:
    return detail_url("catalogue:article-detail", pk)


def _bibliography_html(ids: list[int], *, style: str | None, locale: str | None) -> HttpResponse:
    """Return the selection's bibliography as an HTML fragment (what "Copy as HTML" copies)."""
    chosen, language = exports.bibliography_choice(style, locale)
    articles = exports.bibliography_order(Article.objects.filter(pk__in=ids))
    try:
        chunks = list(stream_bibliography(articles, style=chosen, locale=language, fmt="html"))
    except StyleError:
        raise exports.ExportRequestError(
            f"The citation style “{chosen}” cannot be formatted.", field="style", status=422
        ) from None
    except CitationEngineError:
        raise exports.ExportRequestError(
            "The citation formatter is unavailable right now; please try again shortly.",
            status=503,
        ) from None
    # citeproc-js's markup, checked by citations.output: user-supplied text is escaped.
    body = '<div class="csl-bib-body">\n' + "".join(chunks) + "</div>\n"
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = "inline"
    return response


def _export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Return the selection in ?format= or as a bibliography in ?style= (text or HTML)."""
    ids = selected_ids(request.session)
    wanted = request.GET.get("format")
    style = request.GET.get("style")
    locale = request.GET.get("locale")
    output = request.GET.get("output", "text")
    try:
        if not ids:
            raise exports.ExportRequestError(
                "No records are selected: select some on a search or record page first."
            )
        if output not in OUTPUTS:
            raise exports.ExportRequestError("output= takes text or html.", field="output")
        if output == "html":
            if wanted not in (None, "", TEXT_FORMAT):
                raise exports.ExportRequestError(
                    "output=html is a formatted bibliography: give a style, not a format.",
                    field="output",
                )
            response = _bibliography_html(ids, style=style, locale=locale)
        else:
            response = exports.export_response(
                Article.objects.filter(pk__in=ids),
                format=wanted if wanted else TEXT_FORMAT,
                style=style,
                locale=locale,
                basename=BASENAME,
            )
    except exports.ExportRequestError as error:
        return exports.bad_export_response(error)
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def selected_list(request: HttpRequest) -> HttpResponse:
    """Return the visitor's selected records (or an export of them); POST changes them."""
    if request.method == "POST":
        return _change(request)
    if any(name in request.GET for name in ("format", "style", "locale", "output")):
        return _export(request)
    return _render_list(request)


@require_GET
def selected_state(request: HttpRequest) -> JsonResponse:
    """Return the visitor's selection as JSON: {"ids": [...], "count": n, "limit": 1000}."""
    response = JsonResponse(_state(request))
    add_never_cache_headers(response)
    return response


urlpatterns: list[URLPattern] = [
    path("selected/", selected_list, name="selected"),
    path("selected/ids/", selected_state, name="selected-ids"),
]
