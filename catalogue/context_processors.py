"""Template context every page gets: the visitor's selected records for the header."""

from __future__ import annotations

from django.http import HttpRequest

from catalogue.selected import SELECT_PAGES, selected_ids


def selected(request: HttpRequest) -> dict[str, object]:
    """Return `selected_ids` (a set) and `selected_count`, read from the session only when a
    template uses them (a page without a session cookie reads nothing), and `selected_form`:
    whether this page's lists have Select controls (the header's form then holds a CSRF
    token)."""
    loaded: list[frozenset[int]] = []

    def ids() -> frozenset[int]:
        if not loaded:
            session = getattr(request, "session", None)
            loaded.append(frozenset(selected_ids(session) if session is not None else ()))
        return loaded[0]

    # Callables: the template engine calls them when (and only when) a template reads them.
    match = getattr(request, "resolver_match", None)
    return {
        "selected_ids": ids,
        "selected_count": lambda: len(ids()),
        "selected_form": bool(match and match.url_name in SELECT_PAGES),
    }
