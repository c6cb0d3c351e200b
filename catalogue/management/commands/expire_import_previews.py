"""manage.py expire_import_previews: delete uploads never confirmed within 7 days."""

from django.core.management.base import BaseCommand

from catalogue.importer.expiry import PENDING_LIFETIME, expire_previews


class Command(BaseCommand):
    help = (
        f"Delete the uploads awaiting confirmation for more than {PENDING_LIFETIME.days} days "
        "(their stored file, preview and job records; nothing was imported). Run it daily."
    )

    def handle(self, *args, **options) -> None:
        """Expire the stale previews and say how many."""
        count = expire_previews()
        self.stdout.write(
            f"{count} expired upload{'' if count == 1 else 's'} deleted "
            f"(awaiting confirmation for more than {PENDING_LIFETIME.days} days)."
        )
