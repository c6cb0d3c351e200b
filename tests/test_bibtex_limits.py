"""Issue 16, finding 1: the field limits hold after @string expansion, `#` and crossref.

A value is refused as soon as its parts pass the field length, before they are joined; an
@string longer than a field may be is not defined; and all the characters abbreviations
add in one parse are bounded by EXPANSION_FACTOR times the text's length plus
EXPANSION_ALLOWANCE (past it the whole text is refused).
"""

import io
import tracemalloc

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalogue.formats.bibtex import BibTeXError, ParseResult, parse_bytes, parse_text
from catalogue.formats.bibtex import entries as bibtex_entries
from catalogue.models import Article, ImportBatch
from tests.test_import_jobs import run_jobs

LIMIT = 200_000  # CATALOGUE_IMPORT_MAX_FIELD_LENGTH's default


def doubling_file(doublings: int) -> bytes:
    """Return the issue's file: `doublings` @strings, each twice the one before, then a title."""
    lines = ['@string{a0 = "xxxxxxxxxx"}']
    lines += [f"@string{{a{n} = a{n - 1} # a{n - 1}}}" for n in range(1, doublings + 1)]
    lines.append(f"@article{{big, title = a{doublings}, year = 2020}}")
    lines.append("@article{ok, title = {Fine}, year = 2020}")
    return ("\n".join(lines) + "\n").encode()


def problems(result: ParseResult) -> list[tuple[int, str, str, str]]:
    return [
        (problem.line, problem.key, problem.severity, problem.message)
        for problem in result.problems
    ]


A15_REFUSED = (
    16,
    "",
    "warning",
    "The @string `a15` is longer than the limit of 200,000 characters once expanded: it is not "
    "defined, and entries using it are not imported.",
)


def test_twenty_doublings_no_longer_import_a_ten_million_character_title():
    data = doubling_file(20)
    assert len(data) == 580  # the file had 564 bytes, laid out a little tighter

    result = parse_bytes(data, source="refs.bib", max_field_length=LIMIT)

    assert [(entry.key, entry.title) for entry in result.entries] == [("ok", "Fine")]
    assert problems(result) == [
        A15_REFUSED,
        (
            22,
            "big",
            "error",
            "The field `title` uses the @string `a20` (line 21), which is longer than the limit "
            "of 200,000 characters once expanded: not imported.",
        ),
    ]
    assert result.source_entry_count == 2


def test_thirty_doublings_parse_in_bounded_memory():
    data = doubling_file(30)

    tracemalloc.start()
    try:
        result = parse_bytes(data, source="refs.bib", max_field_length=LIMIT)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # The largest string ever built is a14 (163,840 characters); before the fix, 2 GB.
    assert peak < 3_000_000
    assert [entry.key for entry in result.entries] == ["ok"]
    assert problems(result)[0] == A15_REFUSED
    assert problems(result)[1][:3] == (32, "big", "error")


def test_concatenation_past_the_limit_is_refused_before_it_is_built():
    text = (
        "@string{half = {" + "x" * 60 + "}}\n"
        "@article{long, title = {Long}, abstract = half # { and } # half, year = 2020}\n"
        "@article{short, title = {Short}, abstract = half, year = 2020}\n"
    )

    result = parse_text(text, max_field_length=100)

    assert [(entry.key, len(entry.abstract)) for entry in result.entries] == [("short", 60)]
    assert problems(result) == [
        (
            2,
            "long",
            "error",
            "The field `abstract` is longer than the limit of 100 characters once @string "
            "abbreviations and `#` concatenations are expanded: not imported.",
        )
    ]


def test_an_at_string_redefined_within_the_limit_is_usable_again():
    text = (
        "@string{name = {" + "x" * 200 + "}}\n"
        "@string{name = {Short}}\n"
        "@article{k, title = name, year = 2020}\n"
    )

    result = parse_text(text, max_field_length=100)

    assert [entry.title for entry in result.entries] == ["Short"]
    assert problems(result) == [
        (
            1,
            "",
            "warning",
            "The @string `name` is longer than the limit of 100 characters once expanded: it is "
            "not defined, and entries using it are not imported.",
        )
    ]


def test_a_field_inherited_through_crossref_counts_under_the_same_limit():
    text = (
        "@string{half = {" + "x" * 60 + "}}\n"
        "@proceedings{proc, title = {Proceedings}, publisher = half # half, year = 2020}\n"
        "@inproceedings{child, title = {Paper}, crossref = {proc}, author = {Doe, J.}}\n"
        "@inproceedings{other, title = {Other}, year = 2021}\n"
    )

    result = parse_text(text, max_field_length=100)

    assert [entry.key for entry in result.entries] == ["other"]
    assert problems(result) == [
        (
            2,
            "proc",
            "error",
            "The field `publisher` is longer than the limit of 100 characters once @string "
            "abbreviations and `#` concatenations are expanded: not imported.",
        ),
        (
            3,
            "child",
            "error",
            "The field `publisher` (inherited through crossref from `proc`) is longer than the "
            "limit of 100 characters once @string abbreviations and `#` concatenations are "
            "expanded: not imported.",
        ),
    ]


def test_a_parent_title_inherited_as_booktitle_counts_under_the_limit():
    text = (
        "@string{big = {" + "x" * 150 + "}}\n"
        "@book{parent, title = big, year = 2020}\n"
        "@inbook{child, title = {Chapter}, crossref = {parent}}\n"
    )

    result = parse_text(text, max_field_length=100)

    assert result.entries == []
    assert problems(result) == [
        (
            1,
            "",
            "warning",
            "The @string `big` is longer than the limit of 100 characters once expanded: it is "
            "not defined, and entries using it are not imported.",
        ),
        (
            2,
            "parent",
            "error",
            "The field `title` uses the @string `big` (line 1), which is longer than the limit "
            "of 100 characters once expanded: not imported.",
        ),
        (
            3,
            "child",
            "error",
            "The field `booktitle` (inherited through crossref from `parent`) uses the @string "
            "`big` (line 1), which is longer than the limit of 100 characters once expanded: "
            "not imported.",
        ),
    ]


def test_brace_nesting_limit_holds_after_expansion():
    deep = "{" * 150 + "x" + "}" * 150
    text = (
        "@string{deep = {" + deep + "}}\n"
        "@article{k, title = {Deep } # deep, year = 2020}\n"
        "@article{ok, title = {Fine}, year = 2020}\n"
    )

    result = parse_text(text)

    assert [entry.key for entry in result.entries] == ["ok"]
    assert problems(result) == [
        (
            2,
            "k",
            "error",
            "The field `title` nests braces 150 deep once @string abbreviations are expanded, "
            "more than the limit of 100: not imported.",
        )
    ]


def budget_file(entry_count: int) -> str:
    """Return a text whose one 1,000-character @string is used by `entry_count` entries."""
    lines = ["@string{j = {" + "j" * 1000 + "}}"]
    lines += [f"@article{{k{n}, title = {{T}}, journal = j}}" for n in range(entry_count)]
    return "\n".join(lines) + "\n"


def test_total_expansion_is_bounded_by_a_multiple_of_the_text(monkeypatch):
    monkeypatch.setattr(bibtex_entries, "EXPANSION_ALLOWANCE", 0)
    under = budget_file(15)
    over = budget_file(40)

    assert len(parse_text(under).entries) == 15
    with pytest.raises(BibTeXError) as raised:
        parse_text(over)

    assert str(raised.value) == (
        "its @string abbreviations and crossref inheritance add more than 26,060 characters in "
        "all (10 times the text's 2,606 characters plus 0), passed at the entry at line 28 (key "
        "`k26`): nothing from it is imported."
    )


def crossref_file(child_count: int) -> str:
    """Return a text whose parent's 1,000-character publisher `child_count` children inherit."""
    lines = ["@proceedings{p, title = {Proceedings}, publisher = {" + "p" * 1000 + "}}"]
    lines += [
        f"@inproceedings{{c{n}, title = {{T}}, crossref = {{p}}}}" for n in range(child_count)
    ]
    return "\n".join(lines) + "\n"


def test_fields_inherited_through_crossref_count_under_the_expansion_budget(monkeypatch):
    monkeypatch.setattr(bibtex_entries, "EXPANSION_ALLOWANCE", 0)

    under = parse_text(crossref_file(10))
    with pytest.raises(BibTeXError) as raised:
        parse_text(crossref_file(40))

    assert [entry.publisher for entry in under.entries[1:]] == ["p" * 1000] * 10
    assert str(raised.value) == (
        "its @string abbreviations and crossref inheritance add more than 30,050 characters in "
        "all (10 times the text's 3,005 characters plus 0), passed at the entry at line 31 (key "
        "`c29`): nothing from it is imported."
    )


def test_expansion_budget_also_counts_at_string_definitions(monkeypatch):
    monkeypatch.setattr(bibtex_entries, "EXPANSION_ALLOWANCE", 0)
    text = doubling_file(12).decode()  # a12 is 40,960 characters, within the field limit

    with pytest.raises(BibTeXError, match=r"passed at the @string `a8` at line 9: nothing"):
        parse_text(text, max_field_length=LIMIT)


def test_the_default_budget_is_ten_times_the_text_plus_a_million():
    assert (bibtex_entries.EXPANSION_FACTOR, bibtex_entries.EXPANSION_ALLOWANCE) == (
        10,
        1_000_000,
    )


# --- the import preview page and the import_bibtex command --------------------------------------


@pytest.fixture
def librarian(client):
    user = User.objects.create_user("lib", password="pw")
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return user


def post_file(client, content: bytes):
    upload = SimpleUploadedFile("refs.bib", content, content_type="application/x-bibtex")
    return client.post(reverse("catalogue:import"), {"file": upload, "on_duplicate": "skip"})


BIG_TITLE_ERROR = (
    "The field `title` uses the @string `a20` (line 21), which is longer than the limit of "
    "200,000 characters once expanded: not imported."
)


@pytest.mark.django_db
def test_the_preview_page_shows_the_located_error(client, librarian):
    response = post_file(client, doubling_file(20))

    assert response.status_code == 302
    run_jobs()  # the preview job (catalogue.importer.jobs)
    preview = client.get(response["Location"])
    content = preview.content.decode()
    assert preview.status_code == 200
    assert len(content) < 200_000
    assert '<span class="import-row__where">line 22 · big</span>' in content
    assert f'<p class="import-row__message">{BIG_TITLE_ERROR}</p>' in content
    assert f'<p class="import-row__message">{A15_REFUSED[3]}</p>' in content
    batch = ImportBatch.objects.get()
    assert (batch.created_count, batch.failed_count) == (1, 1)

    client.post(reverse("catalogue:import-confirm", args=[batch.pk]), {"action": "confirm"})
    run_jobs()  # the import job

    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]


@pytest.mark.django_db
def test_the_preview_page_refuses_a_text_past_the_expansion_budget(client, librarian, monkeypatch):
    monkeypatch.setattr(bibtex_entries, "EXPANSION_ALLOWANCE", 0)

    response = post_file(client, budget_file(40).encode())

    # The upload is stored at once; its preview job refuses it, and its page says why.
    assert response.status_code == 302
    run_jobs()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert (
        "The preview failed: this file cannot be imported. refs.bib: its @string abbreviations "
        "and crossref inheritance add more than 26,060 characters in all" in page.content.decode()
    )
    batch = ImportBatch.objects.get()
    assert (batch.status, bytes(batch.source)) == ("failed", b"")
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_the_command_prints_the_located_error_and_imports_the_rest(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_bytes(doubling_file(20))
    stdout = io.StringIO()

    call_command("import_bibtex", str(path), stdout=stdout, stderr=io.StringIO())

    assert stdout.getvalue().splitlines() == [
        "created 1, updated 0, duplicates 0, failed 1, probable duplicates 0",
        f"{path}:16: (no key): {A15_REFUSED[3]}",
        f"{path}:22: big: {BIG_TITLE_ERROR}",
    ]
    assert list(Article.objects.values_list("title", flat=True)) == ["Fine"]


@pytest.mark.django_db
def test_the_command_refuses_a_text_past_the_expansion_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(bibtex_entries, "EXPANSION_ALLOWANCE", 0)
    path = tmp_path / "refs.bib"
    path.write_text(budget_file(40), encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        call_command("import_bibtex", str(path), stdout=io.StringIO(), stderr=io.StringIO())

    assert str(raised.value) == (
        f"{path}: its @string abbreviations and crossref inheritance add more than 26,060 "
        "characters in all (10 times the text's 2,606 characters plus 0), passed at the entry "
        "at line 28 (key `k26`): nothing from it is imported."
    )
    assert not Article.objects.exists()
    assert not ImportBatch.objects.exists()
