"""Tests for evidence summaries: the models, Markdown sanitising, the literature list, the
portal and summary pages, the reverse link on article pages, search and the admin."""

import datetime
import html as html_module
import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from catalogue import citations, conf, summaries
from catalogue.citations import engine
from catalogue.models import Article, Audience, Author, EvidenceSummary, LiteratureEntry
from tests.factories import make_article, make_author, make_keyword

SEED_TEXT = (
    Path(__file__).resolve().parents[2] / "shared" / "seeds" / "evidence-summary-alliance.txt"
)
needs_seed_text = pytest.mark.skipif(not SEED_TEXT.exists(), reason=f"{SEED_TEXT} is not here")
SEED_SLUG = "is-the-therapeutic-alliance-the-most-important-part-of-therapy"
SEED_URL = f"/summaries/{SEED_SLUG}/"
CUIJPERS_2019_APA = (
    '<div class="csl-entry">Cuijpers, P., Reijnders, M., &#38; Huibers, M. J. H. (2019). '
    "The role of common factors in psychotherapy outcomes. "
    "<i>Annual Review of Clinical Psychology</i>, <i>15</i>, 207–231. "
    "https://doi.org/10.1146/annurev-clinpsy-050718-095424</div>"
)
FLUCKIGER_2018_APA = (
    '<div class="csl-entry">Flückiger, C., Del Re, A. C., Wampold, B. E., &#38; Horvath, A. O. '
    "(2018). The alliance in adult psychotherapy: A meta-analytic synthesis. "
    "<i>Psychotherapy</i>, <i>55</i>(4), 316–340. https://doi.org/10.1037/pst0000172</div>"
)

_sequence = itertools.count(1)


def make_summary(
    *,
    title: str = "",
    question: str = "What does the research say?",
    standfirst: str = "It depends.",
    body: str = "Some text.",
    author: Author | None = None,
    author_bio: str = "",
    audience: str = Audience.BOTH,
    published: datetime.date | None = datetime.date(2025, 1, 1),
    last_reviewed: datetime.date | None = None,
    literature: tuple = (),
) -> EvidenceSummary:
    """Return a saved, published summary; `literature` holds articles or citation texts."""
    summary = EvidenceSummary.objects.create(
        title=title or f"Summary {next(_sequence)}",
        question=question,
        standfirst=standfirst,
        body=body,
        author=author or make_author(),
        author_bio=author_bio,
        audience=audience,
        published=published,
        last_reviewed=last_reviewed,
    )
    for position, cited in enumerate(literature, start=1):
        make_entry(summary=summary, position=position, cited=cited)
    return summary


def make_entry(
    *, summary: EvidenceSummary, position: int, cited: Article | str, note: str = ""
) -> LiteratureEntry:
    """Return a saved literature entry citing an article (linked) or a text (unlinked)."""
    if isinstance(cited, Article):
        return LiteratureEntry.objects.create(
            summary=summary,
            position=position,
            article=cited,
            citation_text=f"Reference to {cited.title}",
            note=note,
        )
    return LiteratureEntry.objects.create(
        summary=summary, position=position, citation_text=cited, note=note
    )


class _Text(HTMLParser):
    """Collect the text of the <main> element, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "main" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def main_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def page_html(response) -> str:
    return response.content.decode()


def listed_titles(response) -> list[str]:
    return [
        html_module.unescape(title)
        for title in re.findall(
            r'<h3 class="result__title"><a href="[^"]+">([^<]+)</a></h3>', page_html(response)
        )
    ]


@pytest.fixture(autouse=True)
def empty_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def seeded_summary(seed):
    call_command("loaddata", "evidence_summaries", verbosity=0)
    return EvidenceSummary.objects.get(slug=SEED_SLUG)


@pytest.fixture
def engine_runs():
    """Return a counter of the citation engine's formatting calls since the test started."""
    caches[conf.get("CITATION_CACHE_ALIAS")].clear()
    start = engine.render_count()
    return lambda: engine.render_count() - start


# Model ------------------------------------------------------------------------------------


def test_slug_is_made_from_the_title_and_kept_unique(db):
    first = make_summary(title="Does CBT work for Ängst?")
    second = make_summary(title="Does CBT work for Ängst?")

    assert first.slug == "does-cbt-work-for-angst"
    assert second.slug == "does-cbt-work-for-angst-2"
    assert first.get_absolute_url() == "/summaries/does-cbt-work-for-angst/"


def test_published_leaves_out_drafts_and_future_dates(db):
    today = timezone.localdate()
    past = make_summary(title="Past", published=today - datetime.timedelta(days=1))
    current = make_summary(title="Today", published=today)
    make_summary(title="Draft", published=None)
    make_summary(title="Scheduled", published=today + datetime.timedelta(days=1))

    assert list(EvidenceSummary.objects.published().newest_first()) == [current, past]
    assert current.is_published
    assert not EvidenceSummary.objects.get(title="Scheduled").is_published


def test_newest_first_puts_drafts_last(db):
    old = make_summary(published=datetime.date(2020, 1, 1))
    draft = make_summary(published=None)
    new = make_summary(published=datetime.date(2024, 6, 1))

    assert list(EvidenceSummary.objects.newest_first()) == [new, old, draft]
    assert list(EvidenceSummary.objects.all()) == [new, old, draft]


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience.PATIENTS, ["patients", "both"]),
        (Audience.CLINICIANS, ["clinicians", "both"]),
        (Audience.BOTH, ["both"]),
    ],
)
def test_an_audience_includes_the_summaries_written_for_both(db, audience, expected):
    for value in ("patients", "clinicians", "both"):
        make_summary(title=value, audience=value)

    found = EvidenceSummary.objects.for_audience(audience).order_by("pk")

    assert [summary.title for summary in found] == expected


def test_two_entries_cannot_share_a_position(db):
    summary = make_summary(literature=("First",))

    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(summary=summary, position=1, cited="Second")


def test_an_article_is_cited_once_per_list_but_unlinked_entries_repeat_freely(db):
    article = make_article()
    summary = make_summary(literature=(article, "Same text", "Same text"))

    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(summary=summary, position=9, cited=article)
    assert summary.literature.count() == 3


@pytest.mark.parametrize("position", [0])
def test_positions_start_at_one(db, position):
    summary = make_summary()

    with pytest.raises(IntegrityError), transaction.atomic():
        LiteratureEntry.objects.create(summary=summary, position=position, citation_text="x")


def test_an_entry_always_keeps_its_citation_text(db):
    summary = make_summary()

    with pytest.raises(IntegrityError), transaction.atomic():
        LiteratureEntry.objects.create(summary=summary, position=1, article=make_article())
    entry = LiteratureEntry(summary=summary, position=1, article=make_article())
    with pytest.raises(ValidationError) as raised:
        entry.full_clean()
    assert raised.value.messages == [
        "A literature entry needs its citation text, so that it is kept if the record is deleted."
    ]


def test_an_invalid_audience_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_summary(audience="everyone")


def test_the_last_review_cannot_precede_publication(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_summary(published=datetime.date(2025, 1, 2), last_reviewed=datetime.date(2025, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_summary(published=None, last_reviewed=datetime.date(2025, 1, 1))

    summary = EvidenceSummary(
        title="T",
        slug="t",
        question="Q",
        standfirst="S",
        body="B",
        author=make_author(),
        published=datetime.date(2025, 1, 2),
        last_reviewed=datetime.date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as raised:
        summary.full_clean()
    assert raised.value.message_dict["last_reviewed"] == [
        "The last review cannot come before the publication date."
    ]
    summary.published = None
    with pytest.raises(ValidationError) as raised:
        summary.full_clean()
    assert raised.value.message_dict["last_reviewed"] == ["A draft cannot have been reviewed yet."]


def test_deleting_a_cited_article_keeps_the_entry_as_its_citation_text(db):
    article = make_article(title="Gone soon")
    summary = make_summary(literature=(article,))

    article.delete()

    entry = summary.literature.get()
    assert entry.article is None
    assert entry.citation_text == "Reference to Gone soon"


def test_an_author_with_summaries_cannot_be_deleted(db):
    summary = make_summary()

    with pytest.raises(ProtectedError):
        summary.author.delete()


def test_citing_and_citing_keyword_find_each_summary_once(db):
    alliance = make_keyword(term="Alliance")
    first = make_article(keywords=[alliance])
    second = make_article(keywords=[alliance])
    both = make_summary(literature=(first, second))
    one = make_summary(literature=(second, "Unlinked"))
    make_summary(literature=("Unlinked only",))

    assert list(EvidenceSummary.objects.citing(first)) == [both]
    assert sorted(s.pk for s in EvidenceSummary.objects.citing(second)) == [both.pk, one.pk]
    assert sorted(s.pk for s in EvidenceSummary.objects.citing_keyword("alliance")) == [
        both.pk,
        one.pk,
    ]
    assert EvidenceSummary.objects.citing_keyword(alliance).count() == 2
    assert list(EvidenceSummary.objects.citing_keyword("other")) == []


def test_with_unlinked_literature(db):
    article = make_article()
    unlinked = make_summary(literature=(article, "Not in the catalogue"))
    make_summary(literature=(article,))

    assert list(EvidenceSummary.objects.with_unlinked_literature()) == [unlinked]


# Search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("alliance", True),
        ("ALLIANCE therapy", True),  # every word, any case, any field
        ("“alliance”", True),  # quotes around a word are ignored
        ("causes therapy", True),  # standfirst
        ("change mechanism", True),  # question
        ("randomized", True),  # body
        ("Metapsy", True),  # author bio
        ("cuijpers", True),  # author name
        ("Reijnders", True),  # literature citation text only
        ("alliance antidepressants", True),  # words in different fields
        ("alliance zebra", False),
        ("", False),
        ('  "" ', False),
    ],
)
def test_matching_finds_summaries_by_every_word(seeded_summary, query, found):
    assert list(EvidenceSummary.objects.matching(query)) == ([seeded_summary] if found else [])


def test_matching_is_chainable_and_counts_each_summary_once(db):
    article = make_article()
    make_summary(
        title="Alliance one",
        published=None,
        literature=("Alliance paper", "Another alliance paper", article),
    )
    published = make_summary(title="Alliance two", literature=("alliance", "alliance again"))

    assert list(EvidenceSummary.objects.published().matching("alliance")) == [published]
    assert EvidenceSummary.objects.matching("alliance").count() == 2


@pytest.mark.postgres
def test_matching_ignores_accents_on_postgresql(db):
    summary = make_summary(title="Über die Allianz", literature=("Flückiger C. (2018).",))

    assert list(EvidenceSummary.objects.matching("uber fluckiger")) == [summary]
    assert list(EvidenceSummary.objects.matching("ÜBER")) == [summary]


def test_search_results_partial_lists_the_summaries(db):
    summary = make_summary(title="Is <b>CBT</b> enough?", standfirst="Often & usually.")

    html = render_to_string(
        "catalogue/includes/_summary_results.html",
        {"summaries": EvidenceSummary.objects.matching("cbt").for_listing()},
    )

    assert '<h2 id="summary-results-heading">Evidence summaries</h2>' in html
    assert (
        f'<h3 class="result__title"><a href="{summary.get_absolute_url()}">'
        "Is &lt;b&gt;CBT&lt;/b&gt; enough?</a></h3>"
    ) in html
    assert "Often &amp; usually." in html
    empty = render_to_string("catalogue/includes/_summary_results.html", {"summaries": []})
    assert empty.strip() == ""


# Markdown ---------------------------------------------------------------------------------


def test_markdown_renders_headings_paragraphs_lists_emphasis_and_links():
    text = (
        "# Demoted\n\n## Section\n\nA *little* **bold** [link](https://example.org/a?b=1&c=2)."
        "\n\n- one\n- two\n\n### Sub\n\n> quoted\n"
    )

    assert summaries.render_markdown(text=text) == (
        "<h2>Demoted</h2>\n<h2>Section</h2>\n"
        '<p>A <em>little</em> <strong>bold</strong> <a href="https://example.org/a?b=1&amp;c=2" '
        'rel="nofollow noopener">link</a>.</p>\n'
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<h3>Sub</h3>\n"
        "<blockquote>\n<p>quoted</p>\n</blockquote>"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi <script>alert(1)</script> there", "<p>Hi  there</p>"),
        ("Hi <SCRIPT type='x'>alert(1)</SCRIPT> there", "<p>Hi  there</p>"),
        ("<script>\nalert(1)\n</script>\n\nAfter", "<p>After</p>"),
        ("<style>p { color: red }</style>\n\nAfter", "<p>After</p>"),
        ("<div onclick='steal()'>kept <b>text</b></div>", "<p>kept text</p>"),
        ('<a href="https://evil.example">raw link</a>', "<p>raw link</p>"),
        ('A <span style="x">span</span>.', "<p>A span.</p>"),
        ("<img src=x onerror=alert(1)>", ""),
        ("Before <img src=x onerror=alert(1)> after", "<p>Before  after</p>"),
        ("![alt](https://example.org/x.png)", "<p></p>"),
        ("a <!-- hidden --> b", "<p>a  b</p>"),
        ("<iframe src='https://evil.example'></iframe>", ""),
        ("1 < 2 & 3 > 2", "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"),
    ],
)
def test_markdown_keeps_no_script_raw_html_or_image(text, expected):
    assert summaries.render_markdown(text=text) == expected


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
    ],
)
def test_markdown_links_to_unsafe_schemes_lose_their_address(href):
    assert summaries.render_markdown(text=f"[click]({href})") == (
        '<p><a rel="nofollow noopener">click</a></p>'
    )


def test_markdown_keeps_relative_and_mail_links():
    html = summaries.render_markdown(text="[record](/articles/2/) [mail](mailto:a@example.org)")

    assert html == (
        '<p><a href="/articles/2/" rel="nofollow noopener">record</a> '
        '<a href="mailto:a@example.org" rel="nofollow noopener">mail</a></p>'
    )


def test_markdown_autolinks_only_web_addresses():
    assert summaries.render_markdown(text="<https://example.org> <javascript:alert(1)>") == (
        '<p><a href="https://example.org" rel="nofollow noopener">https://example.org</a> </p>'
    )


# Literature -------------------------------------------------------------------------------


def test_literature_keeps_its_order_links_records_and_escapes_unlinked_text(seed):
    summary = make_summary(
        literature=(
            Article.objects.get(pk=3),
            "Smith, J. (2030). <script>alert(1)</script> & forthcoming.",
            Article.objects.get(pk=2),
        )
    )
    LiteratureEntry.objects.filter(summary=summary, position=3).update(note="A review.")

    items = summaries.render_literature(entries=summary.literature.all())

    assert [item.position for item in items] == [1, 2, 3]
    assert [item.html for item in items] == [
        FLUCKIGER_2018_APA,
        '<div class="csl-entry">Smith, J. (2030). &lt;script&gt;alert(1)&lt;/script&gt; '
        "&amp; forthcoming.</div>",
        CUIJPERS_2019_APA,
    ]
    assert [item.record_url for item in items] == ["/articles/3/", "", "/articles/2/"]
    assert [item.is_linked for item in items] == [True, False, True]
    assert [item.note for item in items] == ["", "", "A review."]
    # The same entries as the article pages' "Cite this" box.
    for item, pk in ((items[0], 3), (items[2], 2)):
        cited = citations.render_citation(Article.objects.with_related().get(pk=pk), style="apa")
        assert (item.html, item.text) == (cited["html"], cited["text"])


def test_literature_is_formatted_in_one_engine_run_then_cached(seed, engine_runs):
    summary = make_summary(literature=(Article.objects.get(pk=2), Article.objects.get(pk=3)))

    first = summaries.render_literature(entries=summary.literature.all())
    assert engine_runs() == 1
    assert summaries.render_literature(entries=summary.literature.all()) == first
    assert engine_runs() == 1


def test_literature_falls_back_to_the_citation_text_when_the_engine_fails(seed, settings):
    engine.reset()
    settings.CITATION_CITEPROC_JS = "/nonexistent/citeproc.js"
    summary = make_summary(literature=(Article.objects.get(pk=2),))

    [item] = summaries.render_literature(entries=summary.literature.all())

    assert item.html == (
        '<div class="csl-entry">Reference to The role of common factors in psychotherapy '
        "outcomes</div>"
    )
    assert item.record_url == "/articles/2/"


def test_empty_literature_needs_no_engine(db, engine_runs):
    summary = make_summary(literature=("Only text",))

    [item] = summaries.render_literature(entries=summary.literature.all())

    assert item.text == "Only text"
    assert engine_runs() == 0


def test_citation_text_for_an_article_is_its_apa_reference(seed):
    assert summaries.citation_text_for(article=Article.objects.get(pk=2)) == (
        "Cuijpers, P., Reijnders, M., & Huibers, M. J. H. (2019). The role of common factors "
        "in psychotherapy outcomes. Annual Review of Clinical Psychology, 15, 207–231. "
        "https://doi.org/10.1146/annurev-clinpsy-050718-095424"
    )


# The seed summary (fixture) ---------------------------------------------------------------


@needs_seed_text
def test_the_fixture_holds_the_seed_summary_in_full(seeded_summary):
    lines = [line.strip() for line in SEED_TEXT.read_text(encoding="utf-8").splitlines()]
    lines = [line.lstrip("• ").strip() for line in lines if line.strip()]

    assert seeded_summary.title == lines[1] == lines[3]
    assert seeded_summary.standfirst == lines[2]
    assert f"“{seeded_summary.question}”" == lines[4]
    assert seeded_summary.author.display_name == "Pim Cuijpers"
    assert seeded_summary.author_bio == lines[30]
    assert seeded_summary.audience == Audience.BOTH
    assert seeded_summary.is_published
    entries = list(seeded_summary.literature.order_by("position"))
    assert [(entry.position, entry.article_id) for entry in entries] == [(1, 2), (2, 3)]
    assert [entry.citation_text for entry in entries] == lines[32:34]


@needs_seed_text
def test_the_summary_page_shows_every_part_of_the_seed(client, seeded_summary):
    response = client.get(SEED_URL)

    assert response.status_code == 200
    text = main_text(response)
    seed_lines = [
        line.strip().lstrip("• ").strip()
        for line in SEED_TEXT.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    # Everything but the portal link (worded for this site) and the literature, which is shown
    # in APA from the records instead of the seed's citation texts.
    for line in seed_lines[1:31]:
        assert line in text, line
    assert "Back to the portal" in text
    page = page_html(response)
    assert '<a href="/summaries/">‹ Back to the portal</a>' in page
    assert (
        '<blockquote class="summary__question">\n      <p>“During my training as a therapist,'
    ) in page
    assert page.count("<h1") == 1
    assert re.findall(r"<h2>([^<]+)</h2>", page) == [
        seed_lines[5],
        seed_lines[9],
        seed_lines[13],
        seed_lines[16],
        seed_lines[24],
        seed_lines[27],
    ]
    assert page.count("<li>Whether") == 5
    assert '<h2 id="literature-heading">Literature</h2>' in page
    assert page.index(CUIJPERS_2019_APA) < page.index(FLUCKIGER_2018_APA)
    assert (
        '<a class="literature__record" href="/articles/2/">View the record<span '
        'class="visually-hidden"> of “The role of common factors in psychotherapy outcomes”'
        "</span></a>"
    ) in page
    assert '<a class="literature__record" href="/articles/3/">' in page
    assert (
        'By <a href="/authors/2/">Pim Cuijpers</a> · For patients and clinicians · '
        'Published <time datetime="2026-11-23">23 November 2026</time>'
    ) in page


def test_the_summary_page_makes_a_constant_number_of_queries(
    client, seed, django_assert_num_queries
):
    articles = list(Article.objects.all())
    for count in (1, 3):
        summary = make_summary(literature=(*articles[:count], "Unlinked"))
        client.get(summary.get_absolute_url())  # fills the citation cache
        # The summary with its author, the entries with their articles, then the citation
        # engine's records (rows, authors, keywords, contributors) twice: to warm the cache,
        # then to read it.
        with django_assert_num_queries(10):
            response = client.get(summary.get_absolute_url())
        assert response.status_code == 200


def test_an_unlinked_entry_says_it_is_not_in_the_catalogue(client, db):
    summary = make_summary(literature=("Doe, J. (2031). <i>Future</i> work.",))

    page = page_html(client.get(summary.get_absolute_url()))

    assert '<div class="csl-entry">Doe, J. (2031). &lt;i&gt;Future&lt;/i&gt; work.</div>' in page
    assert '<span class="literature__unlinked">Not in the catalogue yet</span>' in page


def test_the_body_is_sanitised_on_the_page(client, db):
    summary = make_summary(
        body="## Part\n\n<script>steal()</script>\n\n[x](javascript:steal())",
        question="<script>q()</script>",
        standfirst="<b>bold</b>",
        author_bio="<img src=x onerror=bio()>",
    )

    page = page_html(client.get(summary.get_absolute_url()))

    assert "steal()" not in page
    assert "<script>q()</script>" not in page
    assert "&lt;script&gt;q()&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "&lt;img src=x onerror=bio()&gt;" in page
    assert '<a rel="nofollow noopener">x</a>' in page


# Drafts and unknown summaries -------------------------------------------------------------


def test_a_draft_is_not_found_by_readers_but_previewed_by_staff(client, db):
    draft = make_summary(title="Work in progress", published=None)

    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert f"There is no evidence summary at “{draft.slug}”." in page_html(response)

    staff = User.objects.create_user("editor", password="not-a-real-secret-1", is_staff=True)
    client.force_login(staff)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 200
    assert "this summary is a draft and readers cannot see it yet." in main_text(response)
    assert '<meta name="robots" content="noindex">' in page_html(response)


def test_an_unknown_summary_is_a_404_with_a_message(client, db):
    response = client.get("/summaries/no-such-summary/")

    assert response.status_code == 404
    assert "There is no evidence summary at “no-such-summary”." in page_html(response)


# The portal -------------------------------------------------------------------------------


@pytest.fixture
def portal(db):
    alliance = make_keyword(term="Alliance")
    depression = make_keyword(term="Depression")
    cited_alliance = make_article(keywords=[alliance])
    cited_depression = make_article(keywords=[depression])
    make_keyword(term="Never cited")
    make_summary(
        title="For patients",
        audience=Audience.PATIENTS,
        published=datetime.date(2024, 1, 1),
        literature=(cited_alliance,),
    )
    make_summary(
        title="For clinicians",
        audience=Audience.CLINICIANS,
        published=datetime.date(2024, 3, 1),
        literature=(cited_depression, "Unlinked"),
    )
    make_summary(
        title="For both",
        audience=Audience.BOTH,
        published=datetime.date(2024, 2, 1),
        literature=(cited_alliance, cited_depression),
    )
    make_summary(title="Draft", published=None, literature=(cited_alliance,))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["For clinicians", "For both", "For patients"]),
        ("?audience=patients", ["For both", "For patients"]),
        ("?audience=clinicians", ["For clinicians", "For both"]),
        ("?audience=both", ["For both"]),
        ("?keyword=alliance", ["For both", "For patients"]),
        ("?keyword=depression&audience=clinicians", ["For clinicians", "For both"]),
        ("?keyword=alliance&audience=clinicians", ["For both"]),
        ("?audience=&keyword=", ["For clinicians", "For both", "For patients"]),
    ],
)
def test_the_portal_lists_published_summaries_newest_first_with_filters(
    client, portal, query, expected
):
    response = client.get("/summaries/" + query)

    assert response.status_code == 200
    assert listed_titles(response) == expected


def test_the_portal_offers_only_the_keywords_of_cited_works(client, portal):
    page = page_html(client.get("/summaries/"))

    options = re.findall(r'<option value="([^"]*)"', page)
    assert options == ["", "patients", "clinicians", "both", "", "alliance", "depression"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?audience=everyone",
            "“everyone” is not an audience: choose patients, clinicians or both.",
        ),
        (
            "?keyword=never-cited",
            "No summary cites a work with this keyword: choose one from the list.",
        ),
        ("?keyword=%00", "Null characters are not allowed."),
    ],
)
def test_bad_filters_are_a_400_that_says_why(client, portal, query, message):
    response = client.get("/summaries/" + query)

    assert response.status_code == 400
    assert message in main_text(response)
    assert listed_titles(response) == []


def test_the_portal_without_summaries_says_so(client, db):
    response = client.get("/summaries/")

    assert response.status_code == 200
    assert "No evidence summary has been published yet." in main_text(response)
    response = client.get("/summaries/?audience=patients")
    assert "No published summary matches these filters." in main_text(response)


def test_the_portal_is_paginated_and_keeps_the_filters(client, db, settings):
    settings.CATALOGUE_PAGE_SIZE = 2
    for day in range(1, 6):
        make_summary(title=f"Day {day}", published=datetime.date(2024, 1, day))

    response = client.get("/summaries/?audience=both&page=2")

    assert listed_titles(response) == ["Day 3", "Day 2"]
    assert "Showing 3–4 of 5 summaries, newest first" in main_text(response)
    assert 'href="?audience=both&amp;page=3" rel="next"' in page_html(response)


@pytest.mark.parametrize("count", [1, 12])
def test_the_portal_makes_a_constant_number_of_queries(
    client, db, django_assert_num_queries, count
):
    for _ in range(count):
        make_summary(literature=(make_article(keywords=[make_keyword()]),))

    # The keyword choices, the count, the page with its authors.
    with django_assert_num_queries(3):
        response = client.get("/summaries/")
    assert len(listed_titles(response)) == count


# Article pages ----------------------------------------------------------------------------


def test_an_article_page_lists_the_summaries_discussing_it(client, seeded_summary):
    make_summary(title="Unpublished", published=None, literature=(Article.objects.get(pk=3),))

    page = page_html(client.get("/articles/3/"))

    assert '<h2 id="cited-in-heading">Discussed in these evidence summaries</h2>' in page
    assert (
        f'<li><a href="{SEED_URL}">Is the therapeutic alliance the most important part of '
        'therapy?</a> (<time datetime="2026-11-23">23 November 2026</time>)</li>'
    ) in page
    assert "Unpublished" not in page
    assert "Discussed in these evidence summaries" not in page_html(client.get("/articles/1/"))


@pytest.mark.parametrize("summary_count", [0, 1, 5])
def test_the_article_page_query_count_does_not_grow_with_summaries(
    client, db, django_assert_num_queries, summary_count
):
    article = make_article(authors=[make_author()], keywords=[make_keyword()])
    for _ in range(summary_count):
        make_summary(literature=(article,))

    # The article, its authorships, contributors, keywords, subject areas, the summaries
    # citing it, more by its authors, and its research topics (fingerprint, statistics,
    # related records).
    with django_assert_num_queries(10):
        response = client.get(article.get_absolute_url())

    assert page_html(response).count(f"{article.pk}") >= 1
    # Links to summary pages, not the site menu's link to the portal.
    assert len(re.findall(r'href="/summaries/[^"]+"', page_html(response))) == summary_count


# Admin ------------------------------------------------------------------------------------


@pytest.fixture
def librarian_client(client, db):
    """A client logged in as a staff user in the Librarians group (and nothing else)."""
    user = User.objects.create_user("librarian", password="not-a-real-secret-1", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return client


def test_librarians_may_write_summaries_but_not_delete_them(db):
    codenames = set(
        Group.objects.get(name="Librarians").permissions.values_list("codename", flat=True)
    )

    assert {
        "add_evidencesummary",
        "change_evidencesummary",
        "view_evidencesummary",
        "add_literatureentry",
        "change_literatureentry",
        "delete_literatureentry",
        "view_literatureentry",
    } <= codenames
    assert "delete_evidencesummary" not in codenames


def _inline_data(rows: list[dict], *, initial: int = 0) -> dict:
    data = {
        "literature-TOTAL_FORMS": str(len(rows)),
        "literature-INITIAL_FORMS": str(initial),
        "literature-MIN_NUM_FORMS": "0",
        "literature-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"literature-{index}-{name}"] = value
    return data


def _summary_data(author: Author, **fields) -> dict:
    data = {
        "title": "Does exercise help depression?",
        "slug": "does-exercise-help-depression",
        "audience": "patients",
        "published": "2025-02-01",
        "last_reviewed": "",
        "question": "I feel low. Should I run?",
        "standfirst": "Probably, a little.",
        "body": "## Short answer\n\nYes.",
        "author": str(author.pk),
        "author_bio": "",
    }
    data.update(fields)
    return data


def test_a_librarian_adds_a_summary_with_ordered_literature(librarian_client, seed):
    author = Author.objects.get(pk=2)
    data = _summary_data(author) | _inline_data(
        [
            {"position": "2", "article": "2", "citation_text": "", "note": ""},
            {
                "position": "1",
                "article": "",
                "citation_text": "Doe J. (2024). Running.",
                "note": "",
            },
        ]
    )

    response = librarian_client.post(reverse("admin:catalogue_evidencesummary_add"), data)

    assert response.status_code == 302
    summary = EvidenceSummary.objects.get(slug="does-exercise-help-depression")
    assert [
        (entry.position, entry.article_id, entry.citation_text)
        for entry in summary.literature.order_by("position")
    ] == [
        (1, None, "Doe J. (2024). Running."),
        (
            2,
            2,
            "Cuijpers, P., Reijnders, M., & Huibers, M. J. H. (2019). The role of common factors "
            "in psychotherapy outcomes. Annual Review of Clinical Psychology, 15, 207–231. "
            "https://doi.org/10.1146/annurev-clinpsy-050718-095424",
        ),
    ]


def test_an_entry_without_record_or_text_is_refused_and_nothing_is_written(librarian_client, db):
    author = make_author()
    data = _summary_data(author) | _inline_data(
        [{"position": "1", "article": "", "citation_text": "  ", "note": "a note"}]
    )

    response = librarian_client.post(reverse("admin:catalogue_evidencesummary_add"), data)

    assert response.status_code == 200
    assert "Type the reference, or choose the record it cites." in page_html(response)
    assert not EvidenceSummary.objects.exists()


def test_a_duplicate_position_is_refused_in_the_admin(librarian_client, db):
    data = _summary_data(make_author()) | _inline_data(
        [
            {"position": "1", "article": "", "citation_text": "A", "note": ""},
            {"position": "1", "article": "", "citation_text": "B", "note": ""},
        ]
    )

    response = librarian_client.post(reverse("admin:catalogue_evidencesummary_add"), data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for position" in page_html(response)
    assert not EvidenceSummary.objects.exists()


def test_the_change_page_previews_the_sanitised_body(librarian_client, seeded_summary):
    seeded_summary.body += "\n\n<script>alert('preview')</script>"
    seeded_summary.save()

    response = librarian_client.get(
        reverse("admin:catalogue_evidencesummary_change", args=[seeded_summary.pk])
    )

    page = page_html(response)
    assert response.status_code == 200
    assert "<h2>A good relationship is essential by definition</h2>" in page
    preview = page[page.index('<div class="summary-preview"') :]
    preview = preview[: preview.index("</div>")]
    assert "preview" not in preview.replace("summary-preview", "")
    assert f'<a href="{SEED_URL}">Open the page</a>' in page
    assert "View on site" in page


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["Published", "Scheduled", "Draft"]),
        ("?status=published", ["Published"]),
        ("?status=scheduled", ["Scheduled"]),
        ("?status=draft", ["Draft"]),
        ("?literature=unlinked", ["Draft"]),
        ("?audience__exact=clinicians", ["Scheduled"]),
        ("?q=scheduled", ["Scheduled"]),
    ],
)
def test_the_changelist_filters_and_searches(librarian_client, db, query, titles):
    today = timezone.localdate()
    article = make_article()
    make_summary(title="Published", published=today, literature=(article,))
    make_summary(
        title="Scheduled",
        audience=Audience.CLINICIANS,
        published=today + datetime.timedelta(days=7),
    )
    make_summary(title="Draft", published=None, literature=("Unlinked",))

    response = librarian_client.get(reverse("admin:catalogue_evidencesummary_changelist") + query)

    assert response.status_code == 200
    found = re.findall(
        r'<th class="field-title"><a href="[^"]+">([^<]+)</a></th>', page_html(response)
    )
    assert sorted(found) == sorted(titles)
