"""`manage.py import_bibtex PATH [PATH ...] [--dry-run] [--on-duplicate skip|update] [--user NAME]
[--background]`, and `manage.py import_bibtex --retry ID`.

Every file is read and parsed first, so that an unreadable file stops the command before anything
is written. Then each file is imported as its own import (one ImportBatch, one transaction), in
the order given, by the job function the job worker runs (catalogue.importer.jobs.run_job), here
in the foreground; the summary adds up all files.

With `--background` each file is only read (size and emptiness checked), stored and its import
job queued for the job worker (`manage.py db_worker`); the command prints one line per file,
`PATH: import #ID queued: /import/ID/`, and returns at once. `--retry ID` queues again the job
of an import whose worker stopped (killed, restarted) or that failed, as "Run again" on its page.

Output: a progress bar on stderr when it is a terminal, then on stdout the summary line
`created N, updated N, duplicates N, failed N, probable duplicates N` and one line per failed or
suspicious entry, `FILE:LINE: KEY: reason`, and one per name that resembles an existing person
only by initials (`FILE:LINE: KEY: P Nguyen: possibly the same person as Patrick Nguyen ...`).
With `--user NAME` each import is recorded as uploaded and confirmed by that user (who then
owns it: they may undo it on the web); without it, by "the command line". Exit status 0 when
the import ran (even with failed entries); 1 with a one-line message when a file cannot be
read at all, the user does not exist or an import failed.
"""
# handle() only reads, parses and reports: the import itself is the job function.

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from catalogue import importer
from catalogue.models import ImportBatch, OnDuplicate

BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar redrawn in place on a terminal."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.label = ""
        self.last_draw = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        # Redrawing costs little, but a terminal fed 30,000 lines a second costs a lot.
        if done < total and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        fraction = done / total if total else 1.0
        filled = int(BAR_WIDTH * fraction)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(
            f"\r{self.label} {stage:<8} [{bar}] {fraction:4.0%}", ending="", style_func=str
        )
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K", ending="", style_func=str)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import BibTeX files into the catalogue. Each file is its own import (recorded in the "
        "import history, undoable there); nothing is written when a file cannot be read."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="*", metavar="PATH", help="a .bib file")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would be imported without writing anything",
        )
        parser.add_argument(
            "--on-duplicate",
            choices=OnDuplicate.values,
            default=OnDuplicate.SKIP,
            help="what to do with an entry already in the catalogue (default: skip)",
        )
        parser.add_argument(
            "--user",
            metavar="NAME",
            help="the username recorded as who imported (and owns) the imports",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue the imports for the job worker (manage.py db_worker) and return at once",
        )
        parser.add_argument(
            "--retry",
            type=int,
            metavar="ID",
            help="queue again the job of import ID, whose worker stopped or which failed",
        )

    def handle(self, *args, paths: list[str], dry_run: bool, on_duplicate: str, **options):
        if options.get("retry") is not None:
            if paths:
                raise CommandError("--retry ID takes no files.")
            self._retry(options["retry"])
            return
        if not paths:
            raise CommandError("Give one or more BibTeX files (or --retry ID).")
        if options.get("background") and dry_run:
            raise CommandError("--dry-run runs in the foreground: drop --background.")
        user = None
        if options.get("user"):
            user_model = get_user_model()
            try:
                user = user_model._default_manager.get_by_natural_key(options["user"])
            except user_model.DoesNotExist:
                raise CommandError(f"--user {options['user']}: no such user.") from None
        if options.get("background"):
            self._queue(paths, user=user, on_duplicate=on_duplicate)
            return
        bar = ProgressBar(self.stderr) if self.stderr.isatty() else None
        sources = []
        for path in paths:
            if bar is not None:
                bar.label = path
                bar("reading", 0, 1)
            try:
                data = importer.read_file(path=path)
                result = importer.parse_source(data=data, filename=path)
            except importer.ImportFileError as error:
                if bar is not None:
                    bar.clear()
                raise CommandError(str(error)) from None
            sources.append((path, data, result))

        totals = dict.fromkeys(
            ["created", "updated", "duplicates", "failed", "probable duplicates"], 0
        )
        lines: list[str] = []
        while sources:
            path, data, result = sources.pop(0)
            if bar is not None:
                bar.label = path
            try:
                batch = self._import(
                    path=path,
                    data=data,
                    result=result,
                    user=user,
                    on_duplicate=on_duplicate,
                    dry_run=dry_run,
                    bar=bar,
                )
            except Exception as error:
                if bar is not None:
                    bar.clear()
                raise CommandError(
                    f"{path}: the import failed and nothing from this file was written "
                    f"({type(error).__name__}: {error})."
                ) from error
            totals["created"] += batch.created_count
            totals["updated"] += batch.updated_count
            totals["duplicates"] += batch.duplicate_count
            totals["failed"] += batch.failed_count
            totals["probable duplicates"] += batch.probable_duplicate_count
            for row in batch.plan.rows():
                if row.is_suspicious:
                    lines.append(row.as_line())
                lines.extend(row.doubt_lines())
            if options["verbosity"] >= 2 and batch.pk:
                self.stderr.write(f"{path}: import #{batch.pk}")

        if bar is not None:
            bar.clear()
        self.stdout.write(", ".join(f"{name} {count}" for name, count in totals.items()))
        for line in lines:
            self.stdout.write(line)
        if dry_run:
            self.stderr.write("Dry run: nothing was written.")

    def _import(self, *, path, data, result, user, on_duplicate, dry_run, bar):
        """Return the batch of one file's import, run by the job function (or a dry run)."""
        if dry_run:
            return importer.run_import(
                data=data,
                filename=path,
                user=user,
                on_duplicate=on_duplicate,
                dry_run=True,
                result=result,
                progress=bar,
            )
        batch, job = importer.queue_import(
            data=data, filename=path, user=user, on_duplicate=on_duplicate, enqueue=False
        )
        outcome = importer.run_job(job_id=job.pk, attempt=job.attempt, progress=bar, result=result)
        if outcome.error is not None:
            raise outcome.error
        if outcome.outcome != "completed":
            raise importer.ImportStateError(f"import #{batch.pk} {outcome.outcome}")
        return outcome.batch

    def _queue(self, paths: list[str], *, user, on_duplicate: str) -> None:
        """Store each file and queue its import for the job worker; print where to follow it."""
        sources = []
        for path in paths:
            try:
                sources.append((path, importer.read_file(path=path)))
            except importer.ImportFileError as error:
                raise CommandError(str(error)) from None
        for path, data in sources:
            try:
                batch, _job = importer.queue_import(
                    data=data, filename=path, user=user, on_duplicate=on_duplicate
                )
            except importer.ImportFileError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(f"{path}: import #{batch.pk} queued: {batch.get_absolute_url()}")
        self.stderr.write(
            f"The job worker ({importer.WORKER_COMMAND}) runs them; follow them on the pages "
            "above or in the import history."
        )

    def _retry(self, pk: int) -> None:
        batch = ImportBatch.objects.filter(pk=pk).first()
        if batch is None:
            raise CommandError(f"--retry {pk}: no such import.")
        try:
            importer.rerun_job(batch=batch)
        except importer.ImportStateError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"import #{batch.pk} queued again: {batch.get_absolute_url()}")
