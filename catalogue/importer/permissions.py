"""Who may import, and who may confirm, cancel or undo an import.

An import writes articles, their authorships and contributors, journals, people and keywords, so
importing needs the import permission and the "add" permission of each of those models, and
"change article" when existing records are updated from the file; the staff flag alone gives
nothing. An import belongs to whoever uploaded it: only they confirm, cancel or undo it, unless
they hold `catalogue.manage_any_import` (the "Head librarians" group) or are a superuser. Undo
is the import taken back: it needs what the import needed.
"""

from __future__ import annotations

from typing import Any

from catalogue.models import ImportBatch, OnDuplicate

MANAGE_ANY_IMPORT = "catalogue.manage_any_import"
# What every import writes.
IMPORT_PERMISSIONS = (
    "catalogue.import_bibtex",
    "catalogue.add_article",
    "catalogue.add_authorship",
    "catalogue.add_contributor",
    "catalogue.add_author",
    "catalogue.add_journal",
    "catalogue.add_keyword",
)
# What an import that updates existing records writes besides.
UPDATE_PERMISSIONS = ("catalogue.change_article",)


def _label(permission: str) -> str:
    """Return "add article" for "catalogue.add_article", "import BibTeX" for the import one."""
    codename = permission.split(".", 1)[1]
    return "import BibTeX" if codename == "import_bibtex" else codename.replace("_", " ")


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def missing_permissions(user: Any, *, on_duplicate: str = OnDuplicate.SKIP) -> list[str]:
    """Return the labels of the permissions `user` lacks to import (in order), or []."""
    needed = list(IMPORT_PERMISSIONS)
    if on_duplicate == OnDuplicate.UPDATE:
        needed.extend(UPDATE_PERMISSIONS)
    if not _active(user):
        return [_label(permission) for permission in needed]
    return [_label(permission) for permission in needed if not user.has_perm(permission)]


def can_import(user: Any) -> bool:
    """Return whether `user` may import BibTeX (new records only; see `import_refusal`)."""
    return not missing_permissions(user)


def import_refusal(user: Any, *, on_duplicate: str = OnDuplicate.SKIP) -> str:
    """Return why `user` may not run an import of this kind, or "" when they may."""
    missing = missing_permissions(user, on_duplicate=on_duplicate)
    if not missing:
        return ""
    what = "Importing BibTeX"
    if on_duplicate == OnDuplicate.UPDATE and not missing_permissions(user):
        what = "Updating existing records from a file"
    return f"{what} needs these permissions, which your account lacks: {', '.join(missing)}."


def can_manage_any(user: Any) -> bool:
    """Return whether `user` may confirm, cancel and undo anyone's import."""
    return _active(user) and (user.is_superuser or user.has_perm(MANAGE_ANY_IMPORT))


def owner_name(batch: ImportBatch) -> str:
    return batch.user.get_username() if batch.user_id else "the command line"


def action_refusal(user: Any, batch: ImportBatch, action: str) -> str:
    """Return why `user` may not `action` ("confirm", "cancel" or "undo") `batch`, or ""."""
    # Cancelling writes nothing: it needs no more than importing new records.
    on_duplicate = OnDuplicate.SKIP if action == "cancel" else batch.on_duplicate
    refusal = import_refusal(user, on_duplicate=on_duplicate)
    if refusal:
        return refusal
    if batch.user_id is not None and batch.user_id == user.pk:
        return ""
    if can_manage_any(user):
        return ""
    return (
        f"Import #{batch.pk} belongs to {owner_name(batch)}: only they or a head librarian "
        f"(the “manage any import” permission) can {action} it."
    )
