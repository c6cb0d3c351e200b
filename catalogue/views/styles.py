"""Citation styles for readers: the /styles/ list with its search, each style's CSL file, the
Cite box's type-ahead (the list as JSON) and one article's citation in any style and locale
(JSON), and the reader's Cite box choice remembered in two cookies.

The Cite box itself is built by catalogue.formats.metadata (cite_box, chosen_style).
"""

import hashlib
import re
from typing import Any

from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

from catalogue.citations import (
    CitationEngineError,
    CitationStyle,
    UnknownStyle,
    all_styles,
    available_locales,
    available_styles,
    render_citation,
    search_styles,
    style_file,
)
from catalogue.formats.metadata import (
    CHOICE_MAX_LENGTH,
    ChoiceOutcome,
    CiteChoice,
    chosen_style,
    cite_box,
    style_entry,
)
from catalogue.models import Article
from catalogue.records import iter_record_batches
from catalogue.search.params import list_page
from catalogue.search.trail import parse_trail

# The reader's Cite box choice: a style id and a locale tag, kept a year.
STYLE_COOKIE = "cite_style"
LOCALE_COOKIE = "cite_locale"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
STYLES_PER_PAGE = 100
TYPEAHEAD_LIMIT = 20
CSL_MEDIA_TYPE = "application/vnd.citationstyles.style+xml; charset=utf-8"
CSL_MAX_AGE = 24 * 60 * 60
# What a style id may look like (the repository's are file names: letters, digits, "-").
_STYLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


def cite_choice(request: HttpRequest) -> CiteChoice | None:
    """Return the Cite box choice of the request (?cite_style, ?cite_q, ?cite_locale), else
    the reader's remembered one (cookies), else None."""
    asked = {name: request.GET.get(name) for name in ("cite_style", "cite_q", "cite_locale")}
    remembered_style = request.COOKIES.get(STYLE_COOKIE, "")
    remembered_locale = request.COOKIES.get(LOCALE_COOKIE, "")
    if any(value is not None for value in asked.values()):
        style, query = asked["cite_style"] or "", asked["cite_q"] or ""
        locale = asked["cite_locale"]
        if not style and not query.strip():
            # Only a language: for the remembered style (or the default one).
            style = remembered_style
            locale = remembered_locale if locale is None else locale
        return CiteChoice(style=style, locale=locale or "", query=query, asked=True)
    if remembered_style or remembered_locale:
        return CiteChoice(style=remembered_style, locale=remembered_locale)
    return None


def remember_choice(request: HttpRequest, response: HttpResponse, outcome: ChoiceOutcome) -> None:
    """Set (or drop) the reader's Cite box cookies as `outcome` says; the page varies on them."""
    patch_vary_headers(response, ["Cookie"])
    if outcome.forget:
        response.delete_cookie(STYLE_COOKIE, samesite="Lax")
        response.delete_cookie(LOCALE_COOKIE, samesite="Lax")
    if outcome.remember is None:
        return
    secure = request.is_secure()
    cookie = {"max_age": COOKIE_MAX_AGE, "samesite": "Lax", "secure": secure}
    response.set_cookie(STYLE_COOKIE, outcome.remember.style, **cookie)
    if outcome.remember.locale:
        response.set_cookie(LOCALE_COOKIE, outcome.remember.locale, **cookie)
    else:
        response.delete_cookie(LOCALE_COOKIE, samesite="Lax")


def style_data(style: CitationStyle) -> dict[str, Any]:
    """Return what the type-ahead and the JSON list show of a style."""
    return {
        "id": style.id,
        "title": style.label,
        "title_short": style.title_short,
        "format": style.citation_format,
        "default_locale": style.default_locale or "",
        "fields": list(style.fields),
        "core": style.core,
        "url": reverse("catalogue:style-file", kwargs={"style_id": style.id}),
    }


def _bad_request(message: str, *, as_json: bool) -> HttpResponse:
    if as_json:
        return JsonResponse({"error": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def style_list(request: HttpRequest) -> HttpResponse:
    """Return every citation style (?q= filters, 100 a page) and the locales; with
    ?format=json the first 20 matches of ?q= for the Cite box's type-ahead."""
    wanted = request.GET.get("format", "html")
    query = request.GET.get("q", "").strip()
    if wanted not in ("html", "json"):
        return _bad_request("Unknown format: /styles/ answers format=json or HTML.", as_json=False)
    if len(query) > CHOICE_MAX_LENGTH:
        return _bad_request(
            f"The search is too long: at most {CHOICE_MAX_LENGTH} characters.",
            as_json=wanted == "json",
        )
    if wanted == "json":
        matches = search_styles(query, limit=TYPEAHEAD_LIMIT)
        return JsonResponse({"query": query, "results": [style_data(s) for s in matches]})
    everything = all_styles()
    found = search_styles(query, limit=len(everything)) if query else everything
    page = Paginator(found, STYLES_PER_PAGE).get_page(list_page(request.GET.get("page")))
    # From a record's Cite box: each style links back to that record in the style.
    article = request.GET.get("article", "")
    if not (article.isascii() and article.isdigit() and len(article) < 19):
        article = ""
    context = {
        "page_obj": page,
        "query": query,
        "total": len(everything),
        "locales": available_locales(),
        "article_id": article,
        # The record page's result-list trail, kept on the way back to it (its Cite box's).
        "cite_trail": parse_trail(request.GET) if article else None,
        "article_path": (
            reverse("catalogue:article-detail", kwargs={"pk": int(article)}) if article else ""
        ),
    }
    return render(request, "catalogue/style_list.html", context)


def style_file_view(request: HttpRequest, style_id: str) -> HttpResponse:
    """Return a style's CSL file (cacheable), or 404 naming the unknown style."""
    try:
        if not _STYLE_ID.match(style_id) or ".." in style_id:
            raise UnknownStyle(style_id)
        path = style_file(style_id)
        content = path.read_bytes()
    except (UnknownStyle, OSError):
        shown = "".join(char for char in style_id if char.isprintable())[:60]
        raise Http404(
            f"There is no citation style “{shown}”: see the list of styles at /styles/."
        ) from None
    etag = f'"{hashlib.sha256(content).hexdigest()[:32]}"'
    not_modified = get_conditional_response(request, etag=etag)
    response = not_modified or HttpResponse(content, content_type=CSL_MEDIA_TYPE)
    response["ETag"] = etag
    response["Content-Disposition"] = f'inline; filename="{style_id}.csl"'
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=CSL_MAX_AGE)
    return response


def _style_panel(request: HttpRequest, record: Any, style: str, *, path: str) -> HttpResponse:
    """Return the Cite box panel of a core style for `record` (HTML), or 503 in plain text."""
    try:
        citation = render_citation(record, style=style)
    except CitationEngineError:
        return HttpResponse(
            "Formatted citations are unavailable right now.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    entry = style_entry(style, citation, url=path)
    return render(request, "catalogue/includes/_cite_panel.html", {"entry": entry, "path": path})


def _cite_box(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the article's Cite box as an HTML fragment (404 in plain text if unknown)."""
    batch = next(iter_record_batches(Article.objects.filter(pk=pk), batch_size=1), [])
    if not batch:
        raise Http404(f"There is no article with the id {pk}.")
    [record] = batch
    path = reverse("catalogue:article-detail", kwargs={"pk": pk})
    # The reader's remembered choice only: a fragment's URL carries no ?cite_style.
    remembered = request.COOKIES.get(STYLE_COOKIE, "")
    locale = request.COOKIES.get(LOCALE_COOKIE, "")
    choice = CiteChoice(style=remembered, locale=locale) if remembered or locale else None
    context = {"cite": cite_box(record, url=path, choice=choice), "article": {"pk": pk}}
    return render(request, "catalogue/includes/_cite_box.html", context)


def article_citation(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the article's citation in ?style= and ?locale= as JSON for the Cite box.

    {"tab": "chosen", "style", "locale", "label", "text", "html"} for an extra tab, or
    {"tab": <id>} when a tab the box already has shows it; 400 {"error"} for an unknown
    style or locale, 422 when the engine cannot use the style; 404 for an unknown article.

    With ?fragment=1 and a core style (a tab of the box, in its own locale), the tab's panel
    as HTML: what cite.js shows when a deferred tab is chosen (plain-text errors).

    With ?box=1 the whole Cite box as HTML (the reader's remembered style, as on the record
    page): what a search result's Cite button shows in a dialog.
    """
    if request.GET.get("box") == "1":
        return _cite_box(request, pk)
    style = request.GET.get("style", "")
    locale = request.GET.get("locale", "")
    fragment = request.GET.get("fragment") == "1"
    if not style:
        return _bad_request("Give a style: ?style=<id> (see /styles/).", as_json=not fragment)
    if fragment and (locale or style not in available_styles()):
        return _bad_request(
            "A fragment is a Cite box tab: give a core style without a locale.", as_json=False
        )
    batch = next(iter_record_batches(Article.objects.filter(pk=pk), batch_size=1), [])
    if not batch:
        if fragment:
            raise Http404(f"There is no article with the id {pk}.")
        return JsonResponse({"error": f"There is no article with the id {pk}."}, status=404)
    [record] = batch
    path = reverse("catalogue:article-detail", kwargs={"pk": pk})
    if fragment:
        return _style_panel(request, record, style, path=path)
    outcome = chosen_style(record, CiteChoice(style=style, locale=locale, asked=True), url=path)
    if outcome.entry is not None:
        entry = outcome.entry
        return JsonResponse(
            {
                "tab": "chosen",
                "style": entry.id,
                "locale": entry.locale,
                "label": entry.label,
                "text": entry.text,
                "html": str(entry.html),
                "download_url": entry.download_url,
            }
        )
    if outcome.selected:
        return JsonResponse({"tab": outcome.selected, "style": outcome.selected, "locale": ""})
    return JsonResponse({"error": outcome.message}, status=422 if outcome.failed else 400)
