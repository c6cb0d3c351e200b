"""Screenshots of the catalogue's main pages at 1280 and 390 px, into docs/screenshots/.

    .venv/bin/python docs/screenshots/take.py               # every page, both widths
    .venv/bin/python docs/screenshots/take.py --only record --only login
    .venv/bin/python docs/screenshots/take.py --articles 2000 --full-page --keep

It builds a scratch demo catalogue in a temporary SQLite file (`manage.py migrate`, the seed
and evidence summary fixtures, `generate_catalogue --articles 500 --seed 1`,
`refresh_topics`, a librarian account and one import preview), starts `manage.py runserver`
on it, and drives Debian's
Chromium (/usr/bin/chromium) with Playwright: one PNG per page and width, named
`<page>-<width>.png`, the first screen of each page (the whole page with --full-page). The
catalogue is the same on every run (a fixed seed and a fixed "today"), so the pictures change
only when the pages do. Nothing outside the temporary directory and docs/screenshots/ is
touched; the directory is removed at the end unless --keep.

To add a page, add a `Shot` to SHOTS: its path may name the demo's records ({article},
{journal}, {author}, {keyword}, {subject}, {preview}); `librarian=True` logs in first. A page
that answers 404 (not built yet) is skipped with a message, not an error (unless `status=404`
says it is the page wanted).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
# As tests/conftest.py: this machine has no network, and Chromium must not dial out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A desktop and a phone (an iPhone 12-15's CSS viewport).
VIEWPORTS = {1280: 800, 390: 844}
LIBRARIAN, PASSWORD = "librarian", "screenshots-only-password-1"
# Dates of the synthetic records stop here, so that every run draws the same catalogue.
TODAY = "2026-12-07"

PREVIEW_BIB = """\
@article{zilcha2017,
  author = {Zilcha-Mano, Sigal},
  title = {Is the alliance really therapeutic? {Revisiting} this question in light of recent
           methodological advances},
  journal = {American Psychologist},
  year = {2017},
  volume = {72},
  number = {4},
  pages = {311--325},
  doi = {10.1037/a0040435},
}

@incollection{wampold2015,
  author = {Wampold, Bruce E. and Imel, Zac E.},
  title = {The Great Psychotherapy Debate: The Evidence for What Makes Psychotherapy Work},
  booktitle = {Counseling and Psychotherapy},
  publisher = {Routledge},
  year = {2015},
  doi = {10.4324/9780203582015},
}

@article{fluckiger2018,
  author = {Fl{\\"u}ckiger, Christoph and Del Re, A. C. and Wampold, Bruce E. and
            Horvath, Adam O.},
  title = {The alliance in adult psychotherapy: A meta-analytic synthesis},
  journal = {Psychotherapy},
  year = {2018},
  volume = {55},
  number = {4},
  pages = {316--340},
  doi = {10.1037/pst0000172},
}

@article{broken,
  title = {An entry left open,
  year = 2020,
"""

# The demo's records the paths name, found once the catalogue is built (Django's ORM).
FIND_RECORDS = """
import json
from django.db.models import Count
from catalogue.models import Article, Author, Journal, Keyword, SubjectArea, ImportBatch
article = (
    Article.objects.exclude(abstract="").exclude(journal=None).exclude(doi="")
    .annotate(n=Count("authorships")).filter(n__gte=3).order_by("-year", "pk").first()
)
print(json.dumps({
    "article": article.pk,
    "journal": Journal.objects.annotate(n=Count("articles")).order_by("-n", "pk").first().pk,
    "author": Author.objects.annotate(n=Count("authorships")).order_by("-n", "pk").first().pk,
    "keyword": Keyword.objects.annotate(n=Count("articles")).order_by("-n", "pk").first().slug,
    "keyword_term": Keyword.objects.annotate(n=Count("articles")).order_by("-n", "pk")
    .first().term,
    "subject": SubjectArea.objects.annotate(n=Count("articles")).order_by("-n", "pk")
    .first().pk,
    "preview": ImportBatch.objects.order_by("-pk").values_list("pk", flat=True).first(),
    "selected": list(Article.objects.order_by("-year", "pk").values_list("pk", flat=True)[:3]),
}))
"""

MAKE_LIBRARIAN_AND_PREVIEW = f"""
import sys
from django.contrib.auth.models import Group, User
from catalogue import importer
user = User.objects.create_user({LIBRARIAN!r}, password={PASSWORD!r}, is_staff=True)
user.groups.add(Group.objects.get(name="Librarians"))
importer.prepare_import(data=sys.stdin.buffer.read(), filename="alliance.bib", user=user)
"""

GENERATE = f"""
import datetime
from catalogue import synthetic
synthetic.generate_catalogue(
    articles=int(__import__("os").environ["SCREENSHOT_ARTICLES"]), seed=1,
    today=datetime.date.fromisoformat({TODAY!r}),
)
"""


@dataclass(frozen=True)
class Shot:
    """One page to photograph: a name (the file's), its path, and how to get there."""

    name: str
    path: str
    librarian: bool = False
    # Something to do on the page before the picture (fill a form, open a dialog...).
    action: Callable[[object], None] | None = None
    # The page's own status: a 404 page is photographed only when it is expected.
    status: int = 200


def wrong_password(page) -> None:
    """Submit the login form with a wrong password (the page then shows its errors)."""
    page.get_by_label("Username").fill(LIBRARIAN)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


SHOTS = [
    Shot("home", "/"),
    Shot("search", "/search/?q={keyword_term}"),
    Shot("search-empty", "/search/?q=zzzzqqq"),
    Shot("facet-language", "/search/facets/language/"),
    Shot("record", "/articles/{article}/"),
    Shot("journal", "/journals/{journal}/"),
    Shot("author", "/authors/{author}/"),
    Shot("keyword", "/keywords/{keyword}/"),
    Shot("subject", "/subjects/{subject}/"),
    Shot("selected", "/selected/"),
    Shot("browse-journals", "/journals/"),
    Shot("browse-authors", "/authors/"),
    Shot("browse-subjects", "/subjects/"),
    Shot("browse-keywords", "/keywords/"),
    Shot("experts", "/experts/?q={keyword_term}"),
    Shot("summaries", "/summaries/"),
    Shot("styles", "/styles/"),
    Shot("not-found", "/doi/10.9999/no-such-record", status=404),
    Shot("login", "/accounts/login/"),
    Shot("login-error", "/accounts/login/", action=wrong_password),
    Shot("import", "/import/", librarian=True),
    Shot("import-preview", "/import/{preview}/", librarian=True),
    Shot("import-history", "/import/history/", librarian=True),
    Shot("admin-articles", "/admin/catalogue/article/", librarian=True),
    Shot("admin-article", "/admin/catalogue/article/{article}/change/", librarian=True),
]


def run(args: list[str], env: dict[str, str], *, stdin: bytes | None = None) -> str:
    """Run `manage.py args` in the scratch environment; return its output or exit with it."""
    result = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(
            f"manage.py {args[0]} failed ({result.returncode}):\n"
            f"{result.stdout.decode(errors='replace')}{result.stderr.decode(errors='replace')}"
        )
    return result.stdout.decode()


def build_catalogue(env: dict[str, str], articles: int) -> dict:
    """Build the scratch catalogue and return the ids of the records the paths name."""
    print(f"Building a demo catalogue of {articles} articles in {env['DATABASE_URL']} ...")
    run(["migrate", "--noinput"], env)
    run(["loaddata", "seed", "evidence_summaries"], env)
    run(["shell", "-c", GENERATE], {**env, "SCREENSHOT_ARTICLES": str(articles)})
    run(["refresh_topics"], env)  # research topics, related records, experts
    run(["shell", "-c", MAKE_LIBRARIAN_AND_PREVIEW], env, stdin=PREVIEW_BIB.encode())
    run(["db_worker", "--batch", "--no-reload", "--no-startup-delay"], env)  # the preview job
    # The shell may print other lines first (e.g. how many objects it imported).
    return json.loads(run(["shell", "-c", FIND_RECORDS], env).strip().splitlines()[-1])


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start runserver on a free port; return the process and its base URL once it answers."""
    port = free_port()
    log = open(Path(env["SCREENSHOT_TMP"]) / "server.log", "wb")  # noqa: SIM115 (lives on)
    server = subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
        [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped: see {log.name}")
        try:
            urllib.request.urlopen(base + "/", timeout=5)  # noqa: S310 (our own server)
            return server, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    server.terminate()
    sys.exit(f"the server did not answer within 60 s: see {log.name}")


def log_in(context, base: str) -> None:
    """Log the browser context in as the demo's librarian (through the login form)."""
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(LIBRARIAN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.close()


def select_records(context, base: str, ids: list[int]) -> None:
    """Put a few records in the visitor's selection (POST /selected/), when that page exists."""
    page = context.new_page()
    try:
        response = page.goto(base + "/selected/")
        if response is None or response.status == 404:
            return
        token = next(
            (cookie["value"] for cookie in context.cookies() if cookie["name"] == "csrftoken"), ""
        )
        for pk in ids:
            context.request.post(
                base + "/selected/",
                form={"csrfmiddlewaretoken": token, "add": str(pk)},
                headers={"Referer": base + "/selected/"},
            )
    finally:
        page.close()


def take(base: str, records: dict, shots: list[Shot], *, full_page: bool) -> list[str]:
    """Photograph each shot at each width; return what was skipped and why."""
    from playwright.sync_api import sync_playwright

    skipped = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for width, height in VIEWPORTS.items():
            contexts = {}
            for librarian in (False, True):
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    device_scale_factor=1,
                    reduced_motion="reduce",
                )
                context.set_default_timeout(20_000)
                if librarian:
                    log_in(context, base)
                else:
                    select_records(context, base, records["selected"])
                contexts[librarian] = context
            for shot in shots:
                path = shot.path.format(**records)
                page = contexts[shot.librarian].new_page()
                response = page.goto(base + path)
                status = response.status if response is not None else 0
                if status == 404 and shot.status != 404:
                    skipped.append(f"{shot.name} ({path}): 404, not built yet?")
                    page.close()
                    continue
                if shot.action is not None:
                    shot.action(page)
                target = OUT / f"{shot.name}-{width}.png"
                page.screenshot(path=str(target), full_page=full_page)
                note = "" if status == shot.status else f" (status {status})"
                print(f"  {target.relative_to(ROOT)}  {path}{note}")
                page.close()
            for context in contexts.values():
                context.close()
        browser.close()
    return skipped


def main() -> None:
    """Build the demo, start the server, take the pictures, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=500, help="synthetic articles (500)")
    parser.add_argument("--only", action="append", default=[], help="a shot's name; repeatable")
    parser.add_argument("--full-page", action="store_true", help="whole pages, not one screen")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args()
    names = {shot.name for shot in SHOTS}
    unknown = sorted(set(options.only) - names)
    if unknown:
        parser.error(f"unknown shot {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    if not os.path.exists(CHROMIUM):
        sys.exit(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    shots = [shot for shot in SHOTS if not options.only or shot.name in options.only]

    scratch = tempfile.mkdtemp(prefix="catalogue-screenshots-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{scratch}/demo.sqlite3",
        "DEBUG": "1",
        "CITATION_CACHE_DIR": "memory",
        "SCREENSHOT_TMP": scratch,
        "PYTHONUNBUFFERED": "1",
    }
    server = None
    try:
        records = build_catalogue(env, options.articles)
        server, base = start_server(env)
        print(f"Server at {base}; writing PNGs to {OUT.relative_to(ROOT)}/")
        skipped = take(base, records, shots, full_page=options.full_page)
        for line in skipped:
            print(f"  skipped {line}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if options.keep:
            print(f"Kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
