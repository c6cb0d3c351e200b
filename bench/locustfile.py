"""Locust user for bench/load.py: walks the URL list load.py drew, one request after another.

Not meant to be run by hand: bench/load.py starts `locust --headless` with this file and
these environment variables:

    LOAD_URLS     a file of "kind<TAB>path" lines, in the order drawn (load.py's seed)
    LOAD_RESULTS  a file this writes at the end: one "kind<TAB>ms<TAB>status<TAB>t" line a
                  request (status 0 for a connection error or timeout)

Each user takes the next URL of the shared list (gevent switches only on I/O, so the counter
needs no lock) and asks for it with no think time: concurrency is the number of users. The
request's name is its kind, so locust's own table groups by kind too.
"""

import os
import time

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

with open(os.environ["LOAD_URLS"], encoding="utf-8") as lines:
    URLS = [tuple(line.rstrip("\n").split("\t", 1)) for line in lines if line.strip()]
_next = 0
_results: list[str] = []


def _take() -> tuple[str, str]:
    global _next
    kind, path = URLS[_next % len(URLS)]
    _next += 1
    return kind, path


class Reader(FastHttpUser):
    wait_time = constant(0)  # no think time: each user sends its next request as soon as answered
    # A hung server should show as errors, not as a run that never ends.
    network_timeout = 30.0
    connection_timeout = 5.0

    @task
    def get(self) -> None:
        kind, path = _take()
        started = time.perf_counter()
        # Redirects are not followed: a 3xx is an answer (search pages redirect some forms).
        with self.client.get(
            path, name=kind, allow_redirects=False, catch_response=True
        ) as response:
            status = response.status_code or 0
            if status >= 400 or status == 0:
                response.failure(f"HTTP {status}")
            else:
                response.success()
        elapsed = (time.perf_counter() - started) * 1000
        _results.append(f"{kind}\t{elapsed:.2f}\t{status}\t{time.time():.3f}\n")


@events.quitting.add_listener
def _write_results(environment, **_kwargs) -> None:
    with open(os.environ["LOAD_RESULTS"], "w", encoding="utf-8") as out:
        out.writelines(_results)
