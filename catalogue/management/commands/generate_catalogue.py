"""`manage.py generate_catalogue --articles N`: fill the catalogue with synthetic records."""

import argparse
import datetime
from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import DatabaseError

from catalogue import synthetic
from catalogue.models import Article


def whole_number(value: object, *, name: str, minimum: int) -> int:
    """Return `value` as an int of at least `minimum`, or raise CommandError saying why."""
    number, problem = _parse(value, minimum)
    if problem:
        raise CommandError(f"--{name} {problem}")
    return number


def _parse(value: object, minimum: int) -> tuple[int, str]:
    try:
        number = int(str(value).strip().replace("_", ""))
    except ValueError:
        return 0, f"must be a whole number, not {value!r}."
    if number < minimum:
        return number, f"must be at least {minimum}, not {number}."
    return number, ""


def _argument(minimum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        number, problem = _parse(value, minimum)
        if problem:  # argparse prefixes "argument --name: "
            raise argparse.ArgumentTypeError(problem)
        return number

    return parse


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a day written YYYY-MM-DD, such as 2026-12-07, not {value!r}"
        ) from None


class Command(BaseCommand):
    help = (
        "Generate a synthetic catalogue of N articles with journals, authors, keywords and "
        "subject areas (deterministic for a seed; the records all or nothing; on PostgreSQL the "
        "search index follows in batches, and running again finishes it)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", required=True, type=_argument(1),
            help="number of articles to generate, e.g. 3000 or 1000000",
        )  # fmt: skip
        parser.add_argument(
            "--seed", default=1, type=_argument(0),
            help="random seed (default 1); the same N and seed give the same records",
        )  # fmt: skip
        parser.add_argument(
            "--batch-size", default=synthetic.DEFAULT_BATCH_SIZE, type=_argument(1),
            help=f"articles written per batch (default {synthetic.DEFAULT_BATCH_SIZE:,})",
        )  # fmt: skip
        parser.add_argument(
            "--today", default=None, type=_day,
            help="no record is dated after this day, YYYY-MM-DD (default: today's local date); "
            "with the seed it makes the records the same on any day",
        )  # fmt: skip
        parser.add_argument(
            "--skip-if-populated", action="store_true",
            help="do nothing when the catalogue already has at least N articles",
        )  # fmt: skip

    def handle(self, *args, **options):
        articles = whole_number(options["articles"], name="articles", minimum=1)
        seed = whole_number(options["seed"], name="seed", minimum=0)
        batch_size = whole_number(options["batch_size"], name="batch-size", minimum=1)
        if options["skip_if_populated"]:
            existing = Article.objects.count()
            if existing >= articles:
                self.stdout.write(
                    f"Skipped: the catalogue already has {existing:,} articles "
                    f"(at least {articles:,} asked for)."
                )
                return
        progress = _TerminalProgress(self.stderr) if self.stderr.isatty() else None
        try:
            report = synthetic.generate_catalogue(
                articles=articles,
                seed=seed,
                batch_size=batch_size,
                progress=progress,
                today=options["today"],
            )
        except synthetic.GenerationError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(
                f"Generation failed and nothing was written (rolled back): {error}"
            ) from error
        finally:
            if progress:
                progress.close()
        if report.resumed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Finished the search index of seed {report.seed}: {report.indexed:,} "
                    f"articles indexed in {report.seconds:.1f} s (the records were already "
                    "written)."
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {report.articles:,} articles (seed {report.seed}) into "
                f"{report.vendor} in {report.seconds:.1f} s: "
                f"{report.articles_per_second:,.0f} articles/s, "
                f"{report.total_rows:,} rows at {report.rows_per_second:,.0f} rows/s."
            )
        )
        for table, count in report.rows.items():
            self.stdout.write(f"  {table:<24}{count:>12,}")


class _TerminalProgress:
    """Rewrites one status line on a terminal."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        line = f"{stage}: {done:,} / {total:,} ({done * 100 // total}%)" if total else stage
        self._write(f"\r  {line}\033[K")
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self._write("\r\033[K")

    def _write(self, text: str) -> None:
        # Plain text: stderr's default style would colour it as an error.
        self.stream.write(text, style_func=str, ending="")
        self.stream.flush()
