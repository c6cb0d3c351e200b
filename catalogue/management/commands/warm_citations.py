"""`manage.py warm_citations`: format and cache the Cite box citations of articles ahead of time."""

import argparse
import time

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import BaseCommand, CommandError

from catalogue import conf
from catalogue.citations import (
    CitationEngineError,
    UnknownLocale,
    UnknownStyle,
    get_locale,
    get_style,
    warm_citations,
)
from catalogue.models import Article


def _positive(value: str) -> int:
    """Return a whole number of at least 1 (argparse reports the error otherwise)."""
    try:
        number = int(value.strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}.") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}.")
    return number


class Command(BaseCommand):
    help = (
        "Format and cache the citations the article pages' Cite box shows, for every article "
        "(or the given ids, or one journal's) in every core style (or the given ones). "
        "Useful with a shared cache (Redis, Memcached, database): the default local-memory "
        "cache lives only as long as this command."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "ids", nargs="*", type=_positive, metavar="ID",
            help="article ids to warm (default: all articles)",
        )  # fmt: skip
        parser.add_argument(
            "--journal", type=_positive, metavar="ID",
            help="only the articles of this journal",
        )  # fmt: skip
        parser.add_argument(
            "--style", action="append", dest="styles", metavar="STYLE",
            help="a style id: a core one or any CSL repository id, see /styles/ "
                 "(repeatable; default: the core styles)",
        )  # fmt: skip
        parser.add_argument(
            "--locale", metavar="TAG",
            help="a CSL locale such as de-DE (default: each style's own)",
        )  # fmt: skip
        parser.add_argument(
            "--batch-size", default=200, type=_positive,
            help="articles formatted per engine call (default 200)",
        )  # fmt: skip

    def handle(self, *args, ids, journal, styles, locale, batch_size, **options):
        try:
            chosen = [get_style(style).id for style in styles] if styles else None
            locale = get_locale(locale) if locale else None
        except (UnknownStyle, UnknownLocale) as error:
            raise CommandError(str(error)) from None
        alias = conf.get("CITATION_CACHE_ALIAS")
        if isinstance(caches[alias], LocMemCache):
            self.stderr.write(
                f"Note: the citation cache “{alias}” is local memory: what this command "
                "caches is gone when it exits. Point it at a shared cache to keep it."
            )
        articles = Article.objects.order_by("pk")
        if ids:
            articles = articles.filter(pk__in=ids)
        if journal:
            articles = articles.filter(journal_id=journal)
        started = time.perf_counter()
        try:
            made = warm_citations(articles, styles=chosen, locale=locale, batch_size=batch_size)
        except CitationEngineError as error:
            raise CommandError(f"The citation engine failed: {error}") from None
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Cached {made:,} formatted citation{'s' if made != 1 else ''} "
            f"in {elapsed:.1f} s (already cached ones were skipped)."
        )
