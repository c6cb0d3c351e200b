"""People and their name forms: merge people, split a person, and undo either.

An authorship keeps the name as its source printed it (`Authorship.family_name`, ...); the
person it names is `Authorship.author`. Merging and splitting move authorships between people
and never change a printed form. Each change is kept as a `PersonChange` so that it can be
undone. The admin and the `merge_people` command call these functions.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone

from catalogue.models import (
    Author,
    Authorship,
    EvidenceSummary,
    PersonChange,
    PersonChangeKind,
)

# The five printed parts of a name: family, given, particle, suffix, corporate.
PrintedNameKey = tuple[str, ...]

# The Author columns a merge keeps (with the pk) so that undo can recreate the person.
AUTHOR_FIELDS = ("family_name", "given_names", "particle", "suffix", "corporate_name", "orcid")


class PeopleError(Exception):
    """A merge, split or undo that cannot be done; the message says why, for the librarian."""


@dataclass
class NameForm:
    """One printed form of a person's name and the authorships printed with it."""

    key: PrintedNameKey
    printed_name: str
    printed_sort_name: str
    authorship_ids: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.authorship_ids)

    @property
    def first_id(self) -> int:
        """The id that stands for the form in forms (its first authorship's)."""
        return self.authorship_ids[0]


def name_key(name) -> PrintedNameKey:
    """Return the five printed parts of an authorship (or author) as a tuple."""
    return tuple(getattr(name, part) or "" for part in Authorship.NAME_FIELDS)


def name_forms(*, person: Author) -> list[NameForm]:
    """Return the forms `person` was printed under, most used first, then A to Z."""
    forms: dict[PrintedNameKey, NameForm] = {}
    authorships = Authorship.objects.filter(author=person).order_by("pk")
    for authorship in authorships.only("pk", *Authorship.NAME_FIELDS):
        key = name_key(authorship)
        if key not in forms:
            forms[key] = NameForm(key, authorship.printed_name, authorship.printed_sort_name)
        forms[key].authorship_ids.append(authorship.pk)
    return sorted(forms.values(), key=lambda form: (-form.count, form.printed_sort_name.casefold()))


def _author_data(author: Author) -> dict:
    return {"pk": author.pk, **{name: getattr(author, name) for name in AUTHOR_FIELDS}}


def _locked(ids: Iterable[int]) -> dict[int, Author]:
    """Return the people with these ids, locked for the transaction, by id."""
    return {author.pk: author for author in Author.objects.select_for_update().filter(pk__in=ids)}


# Merge --------------------------------------------------------------------------------------


def orcid_conflict(*, people: Sequence[Author]) -> str:
    """Return why `people` cannot be one person (two different ORCID iDs), or ""."""
    orcids = {person.orcid: person for person in people if person.orcid}
    if len(orcids) < 2:
        return ""
    names = ", ".join(f"{person.display_name} ({orcid})" for orcid, person in orcids.items())
    return f"These people have different ORCID iDs, so they are different people: {names}."


def merge_people(*, keep: Author, others: Iterable[Author], user=None) -> list[PersonChange]:
    """Merge `others` into `keep`: their authorships and evidence summaries move to `keep`,
    they are deleted, and one PersonChange per removed person records it for undo.

    Printed forms do not change. `keep` takes an ORCID iD it lacks from the person who had it;
    two different ORCID iDs refuse the whole merge (PeopleError).
    """
    other_ids = sorted({other.pk for other in others} - {keep.pk})
    if not other_ids:
        raise PeopleError("Choose at least one other person to merge into the one you keep.")
    with transaction.atomic():
        people = _locked([keep.pk, *other_ids])
        if keep.pk not in people:
            raise PeopleError("The person to keep no longer exists.")
        missing = [pk for pk in other_ids if pk not in people]
        if missing:
            raise PeopleError(f"Person #{missing[0]} no longer exists (merged or deleted?).")
        kept = people[keep.pk]
        conflict = orcid_conflict(people=[kept, *(people[pk] for pk in other_ids)])
        if conflict:
            raise PeopleError(conflict)
        changes = []
        for pk in other_ids:
            removed = people[pk]
            data = _author_data(removed)
            authorship_ids = list(
                Authorship.objects.filter(author=removed)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            summary_ids = list(
                EvidenceSummary.objects.filter(author=removed)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            # Statement-level updates: the search index triggers see each move.
            Authorship.objects.filter(pk__in=authorship_ids).update(author=kept)
            EvidenceSummary.objects.filter(pk__in=summary_ids).update(author=kept)
            data["evidence_summary_ids"] = summary_ids
            data["orcid_moved"] = bool(removed.orcid and not kept.orcid)
            # Earlier changes that kept this person lose it (SET_NULL); undo gives it back.
            data["person_change_ids"] = list(
                PersonChange.objects.filter(person=removed).values_list("pk", flat=True)
            )
            try:
                removed.delete()
            except ProtectedError as error:
                # Something this function does not know about still names the person.
                kinds = sorted({obj._meta.verbose_name_plural for obj in error.protected_objects})
                raise PeopleError(
                    f"{removed.display_name} cannot be removed: still named by "
                    f"{', '.join(kinds)}. Nothing was merged."
                ) from None
            if data["orcid_moved"]:
                kept.orcid = data["orcid"]
                kept.save(update_fields=["orcid"])
            changes.append(
                PersonChange.objects.create(
                    kind=PersonChangeKind.MERGE,
                    user=user,
                    person=kept,
                    other_id=pk,
                    removed_author=data,
                    authorship_ids=authorship_ids,
                )
            )
        keep.refresh_from_db()
        return changes


# Split --------------------------------------------------------------------------------------


def new_person_from(name) -> Author:
    """Return an unsaved Author named with the printed parts of `name` (an Authorship)."""
    if name.corporate_name:
        return Author(corporate_name=name.corporate_name)
    person = Author()
    for part in ("family_name", "given_names", "particle", "suffix"):
        setattr(person, part, getattr(name, part) or "")
    if not person.family_name:
        # A name printed with given names only ("Plato"): a person needs a family name.
        person.family_name, person.given_names = person.given_names, ""
    return person


def split_person(
    *, person: Author, authorship_ids: Iterable[int], name_from: int | None = None, user=None
) -> PersonChange:
    """Move the chosen authorships of `person` to a new person, named from the printed form
    of authorship `name_from` (default: the first chosen); record a PersonChange for undo.

    The authorships must be `person`'s, and at least one must stay with `person`.
    """
    chosen = sorted(set(authorship_ids))
    if not chosen:
        raise PeopleError("Choose the name forms or records to move to a new person.")
    with transaction.atomic():
        if not _locked([person.pk]):
            raise PeopleError("This person no longer exists.")
        authorships = {
            authorship.pk: authorship
            for authorship in Authorship.objects.filter(pk__in=chosen, author=person)
        }
        if len(authorships) != len(chosen):
            raise PeopleError(
                "Some of the chosen records are no longer this person's: reload the page."
            )
        if not Authorship.objects.filter(author=person).exclude(pk__in=chosen).exists():
            raise PeopleError(
                "Leave at least one record with this person: "
                "to rename the person, change the name on their page instead."
            )
        if name_from is None:
            name_from = chosen[0]
        if name_from not in authorships:
            raise PeopleError("Name the new person after one of the chosen name forms.")
        split_off = new_person_from(authorships[name_from])
        split_off.save()
        Authorship.objects.filter(pk__in=chosen).update(author=split_off)
        return PersonChange.objects.create(
            kind=PersonChangeKind.SPLIT,
            user=user,
            person=person,
            other_id=split_off.pk,
            authorship_ids=chosen,
        )


# Undo ---------------------------------------------------------------------------------------


def undo_change(*, change: PersonChange) -> str:
    """Undo a merge or a split; return what was done, for the librarian.

    Refuses (PeopleError, nothing changed) when the change was undone already, or when later
    changes moved its people or records on: those are undone first, newest first.
    """
    with transaction.atomic():
        change = PersonChange.objects.select_for_update().get(pk=change.pk)
        if change.undone:
            raise PeopleError(f"{change} was undone already.")
        if change.person_id is None:
            raise PeopleError(
                f"{change}: the person it kept no longer exists (merged into someone else "
                "later?). Undo that later change first."
            )
        if change.kind == PersonChangeKind.MERGE:
            message = _undo_merge(change)
        else:
            message = _undo_split(change)
        change.undone = timezone.now()
        change.save(update_fields=["undone"])
        return message


def _still_with(authorship_ids: list[int], author_id: int, change: PersonChange) -> list[int]:
    """Return the ids among `authorship_ids` that still exist, all still with `author_id`."""
    rows = dict(Authorship.objects.filter(pk__in=authorship_ids).values_list("pk", "author_id"))
    moved_on = [pk for pk, owner in rows.items() if owner != author_id]
    if moved_on:
        raise PeopleError(
            f"{change}: {len(moved_on)} of its records now belong to another person "
            "(a later merge or split). Undo that later change first."
        )
    return sorted(rows)


def _undo_merge(change: PersonChange) -> str:
    data = change.removed_author or {}
    removed_pk = data.get("pk") or change.other_id
    if Author.objects.filter(pk=removed_pk).exists():
        raise PeopleError(f"{change}: person #{removed_pk} exists again; nothing to restore.")
    kept = _locked([change.person_id])[change.person_id]
    orcid = data.get("orcid", "")
    if orcid:
        holder = Author.objects.filter(orcid=orcid).exclude(pk=kept.pk).first()
        if holder is not None:
            raise PeopleError(
                f"{change}: the ORCID iD {orcid} now belongs to {holder.display_name} "
                f"(#{holder.pk}). Undo or correct that first."
            )
    moved = _still_with(change.authorship_ids, kept.pk, change)
    if data.get("orcid_moved") and kept.orcid == orcid:
        kept.orcid = ""
        kept.save(update_fields=["orcid"])
    elif orcid and kept.orcid == orcid:
        raise PeopleError(f"{change}: {kept.display_name} has the ORCID iD {orcid} now.")
    restored = Author(pk=removed_pk, **{name: data.get(name, "") for name in AUTHOR_FIELDS})
    restored.save(force_insert=True)
    Authorship.objects.filter(pk__in=moved).update(author=restored)
    summaries = EvidenceSummary.objects.filter(
        pk__in=data.get("evidence_summary_ids", []), author=kept
    )
    summary_count = summaries.update(author=restored)
    PersonChange.objects.filter(pk__in=data.get("person_change_ids", []), person=None).update(
        person=restored
    )
    text = (
        f"Restored {restored.display_name} (#{restored.pk}) with {len(moved)} "
        f"record{'s' if len(moved) != 1 else ''}"
    )
    if summary_count:
        text += f" and {summary_count} evidence summar{'ies' if summary_count != 1 else 'y'}"
    return text + "."


def _undo_split(change: PersonChange) -> str:
    people = _locked([change.person_id, change.other_id])
    split_off = people.get(change.other_id)
    if split_off is None:
        raise PeopleError(
            f"{change}: the split-off person #{change.other_id} no longer exists (merged "
            "later?). Undo that later change first."
        )
    person = people[change.person_id]
    moved = _still_with(change.authorship_ids, split_off.pk, change)
    Authorship.objects.filter(pk__in=moved).update(author=person)
    text = (
        f"Moved {len(moved)} record{'s' if len(moved) != 1 else ''} back to "
        f"{person.display_name} (#{person.pk})"
    )
    in_use = (
        Author.objects.filter(pk=split_off.pk)
        .annotate(
            authorship_count=Count("authorships", distinct=True),
            summary_count=Count("evidence_summaries", distinct=True),
        )
        .values_list("authorship_count", "summary_count")
        .get()
    )
    if any(in_use):
        return text + f"; {split_off.display_name} (#{split_off.pk}) has other records, so stays."
    removed = f"{split_off.display_name} (#{split_off.pk})"
    split_off.delete()
    return text + f" and removed {removed}."
