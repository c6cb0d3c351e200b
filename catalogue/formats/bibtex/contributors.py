"""Contributors other than the authors: every BibTeX and biblatex name-list field, by role.

Roles are catalogue ContributorRole values (catalogue.models.contributors), spelt out here
so that the parser stays free of Django. biblatex's `editora`/`editorb`/`editorc` (and
`editor` itself) take their role from `editoratype` ... `editortype`: a role the catalogue
knows is kept ("compiler", "translator", ...), anything else is read as "editor".
"""

from __future__ import annotations

from collections.abc import Callable

from .latex import latex_to_unicode
from .names import parse_names_with_warnings
from .results import Name

# Name-list field -> role, in the order the roles are listed in Entry.contributors.
ROLE_OF_FIELD = {
    "editor": "editor",
    "editora": "editor",
    "editorb": "editor",
    "editorc": "editor",
    "translator": "translator",
    "bookauthor": "book-author",
    "serieseditor": "series-editor",
    "annotator": "annotator",
    "commentator": "commentator",
    "introduction": "introduction",
    "foreword": "foreword",
    "afterword": "afterword",
}
# biblatex editor types (`editortype = {compiler}`) the catalogue has a role for.
ROLE_OF_EDITOR_TYPE = {
    "editor": "editor",
    "compiler": "compiler",
    "translator": "translator",
    "annotator": "annotator",
    "commentator": "commentator",
    "introduction": "introduction",
    "foreword": "foreword",
    "afterword": "afterword",
    "serieseditor": "series-editor",
    "series-editor": "series-editor",
    "bookauthor": "book-author",
}


def read_contributors(
    get: Callable[[str], str], values: dict[str, str], warnings: list[str]
) -> dict[str, list[Name]]:
    """Return the contributors of an entry by role, each list in source order.

    `get(name)` returns a field's text (macros expanded, LaTeX still in), `values` holds the
    names of the fields present. A role's list gathers every field mapped to it, in the
    order of ROLE_OF_FIELD (`editor` before `editora`).
    """
    contributors: dict[str, list[Name]] = {}
    if values.keys().isdisjoint(ROLE_OF_FIELD):
        return contributors
    for name, default_role in ROLE_OF_FIELD.items():
        if name not in values:
            continue
        role = default_role
        if default_role == "editor":
            role = _editor_role(get, values, name, warnings)
        names, et_al, name_warnings = parse_names_with_warnings(get(name))
        warnings.extend(name_warnings)
        if et_al:
            warnings.append(
                f"`{name}` ends with `and others`: the catalogue keeps that only for authors, "
                "so the list reads as complete."
            )
        if names:
            contributors.setdefault(role, []).extend(names)
    return contributors


def _editor_role(
    get: Callable[[str], str], values: dict[str, str], name: str, warnings: list[str]
) -> str:
    """Return the role of `editor`/`editora`... from its biblatex `...type` field."""
    type_field = f"{name}type"
    if type_field not in values:
        return "editor"
    written = latex_to_unicode(get(type_field), prose=False, markup=False)
    role = ROLE_OF_EDITOR_TYPE.get(written.strip().lower())
    if role is None:
        if written:
            warnings.append(
                f"`{type_field} = {written}` is not a role the catalogue knows: "
                f"the names in `{name}` were read as editors."
            )
        return "editor"
    return role
