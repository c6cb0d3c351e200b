"""Recompute research topics: the catalogue statistics, every record's fingerprint, related
records, and people's and journals' fingerprints.

    python manage.py refresh_topics [--restart]

Works in batches, each its own transaction: stopped part-way (Ctrl-C, a crash), the next run
resumes after the last finished batch; --restart counts the catalogue again from the start.
A progress bar on stderr when it is a terminal; then a summary line on stdout.
"""

from __future__ import annotations

import resource
import time
from typing import Any

from django.core.management.base import BaseCommand, OutputWrapper

from catalogue.topics import store

_PHASES = {"statistics": 1, "fingerprints": 2, "related": 3, "people": 4}


class _Bar:
    """A one-line progress bar redrawn in place on a terminal."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream

    def __call__(self, phase: str, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        bar = "#" * int(fraction * 30)
        step = _PHASES.get(phase, 0)
        self.stream.write(
            f"\r{step}/4 {phase:<12} [{bar:<30}] {fraction:4.0%} {done:,}/{total:,}",
            ending="",
            style_func=str,
        )

    def close(self) -> None:
        self.stream.write("\r\033[K", ending="", style_func=str)


class _Timings:
    """Each phase's wall and CPU seconds and the process's peak memory, printed as it ends."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.phase, self.started, self.cpu = "", time.perf_counter(), time.process_time()

    def __call__(self, phase: str) -> None:
        if self.phase:
            # ru_maxrss is in kilobytes on Linux: the process's peak so far.
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stream.write(
                f"{self.phase}: {time.perf_counter() - self.started:.1f} s wall, "
                f"{time.process_time() - self.cpu:.1f} s CPU, peak RSS so far {peak:,.0f} MB"
            )
        self.phase, self.started, self.cpu = phase, time.perf_counter(), time.process_time()


class Command(BaseCommand):
    help = "Recompute research topics (statistics, fingerprints, related records, people)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--restart",
            action="store_true",
            help="Start again from counting the catalogue instead of resuming.",
        )
        parser.add_argument(
            "--skip-if-current",
            action="store_true",
            help="Do nothing when a finished refresh covers the catalogue as it is (no record "
            "added, changed or removed since); for `make run`.",
        )
        parser.add_argument(
            "--timings",
            action="store_true",
            help="Print each phase's wall and CPU time and the process's peak memory.",
        )

    def handle(self, *args: Any, restart: bool = False, **options: Any) -> None:
        if options.get("skip_if_current") and not restart and store.is_current():
            self.stdout.write("Research topics are current: nothing to refresh.")
            return
        bar = _Bar(self.stderr) if self.stderr.isatty() else None
        timings = _Timings(self.stdout) if options.get("timings") else None
        started = time.perf_counter()
        try:
            row = store.refresh(restart=restart, progress=bar or store._quiet, on_phase=timings)
        finally:
            if bar:
                bar.close()
        self.stdout.write(
            f"Research topics refreshed: {row.articles:,} records, {row.concepts:,} concepts, "
            f"in {time.perf_counter() - started:.1f} s."
        )
