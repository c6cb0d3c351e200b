"""`manage.py merge_people`: merge people, split records off a person, list or undo changes.

The same functions as the admin's merge and split pages (`catalogue.people`), for scripts and
for batches of obvious duplicates.
"""

from django.core.management.base import BaseCommand, CommandError

from catalogue import people
from catalogue.models import Author, PersonChange


def _records(count: int) -> str:
    return f"{count} record{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Merge people into the first one given (their records move; printed names stay), "
        "split records off a person with --split, list recent changes with --list, "
        "or undo a change with --undo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "ids", nargs="*", type=int, metavar="ID",
            help="merge: the person to keep, then the people to merge into it; "
            "--split: the person, then the authorship ids to move to a new person",
        )  # fmt: skip
        parser.add_argument(
            "--split", action="store_true",
            help="move the given authorships of the first id to a new person",
        )  # fmt: skip
        parser.add_argument(
            "--undo", type=int, metavar="CHANGE", help="undo this person change"
        )  # fmt: skip
        parser.add_argument(
            "--list", action="store_true", dest="list_changes",
            help="list the 20 newest person changes",
        )  # fmt: skip

    def handle(self, *args, ids, split, undo, list_changes, **options):
        try:
            if list_changes:
                self._list()
            elif undo is not None:
                change = PersonChange.objects.filter(pk=undo).first()
                if change is None:
                    raise CommandError(f"There is no person change #{undo}.")
                self.stdout.write(f"Undid {change}: {people.undo_change(change=change)}")
            elif split:
                self._split(ids)
            else:
                self._merge(ids)
        except people.PeopleError as error:
            raise CommandError(str(error)) from None

    def _person(self, pk: int) -> Author:
        person = Author.objects.filter(pk=pk).first()
        if person is None:
            raise CommandError(f"There is no person #{pk}.")
        return person

    def _merge(self, ids: list[int]) -> None:
        if len(ids) < 2:
            raise CommandError("Give the person to keep and at least one person to merge.")
        keep = self._person(ids[0])
        others = [self._person(pk) for pk in ids[1:]]
        for change in people.merge_people(keep=keep, others=others):
            name = Author(**{f: change.removed_author[f] for f in people.AUTHOR_FIELDS})
            self.stdout.write(
                f"Change #{change.pk}: merged {name.display_name} (#{change.other_id}) into "
                f"{keep.display_name} (#{keep.pk}), {_records(len(change.authorship_ids))} moved."
            )

    def _split(self, ids: list[int]) -> None:
        if len(ids) < 2:
            raise CommandError("Give the person and at least one of their authorship ids.")
        person = self._person(ids[0])
        change = people.split_person(person=person, authorship_ids=ids[1:])
        split_off = Author.objects.get(pk=change.other_id)
        self.stdout.write(
            f"Change #{change.pk}: moved {_records(len(change.authorship_ids))} of "
            f"{person.display_name} (#{person.pk}) to {split_off.display_name} (#{split_off.pk})."
        )

    def _list(self) -> None:
        for change in PersonChange.objects.select_related("person")[:20]:
            state = f"undone {change.undone:%Y-%m-%d %H:%M}" if change.undone else "in force"
            self.stdout.write(
                f"#{change.pk} {change.created:%Y-%m-%d %H:%M} {change}, "
                f"{_records(len(change.authorship_ids))}, {state}"
            )
