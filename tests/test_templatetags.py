"""Tests for catalogue.templatetags.catalogue_tags: CSL rich text, output labels, pagination."""

import pytest
from django.core.paginator import Paginator
from django.template import Context, Template
from django.utils.safestring import SafeString

from catalogue.models import Article, Author, Authorship, OutputType
from catalogue.templatetags.catalogue_tags import (
    and_list,
    elided_page_range,
    eprint_label,
    eprint_url,
    is_web_url,
    plain_text,
    printed_name,
    publisher_label,
    research_output,
    rich_text,
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Plain title", "Plain title"),
        ("", ""),
        ("<i>E. coli</i> genomes", "<i>E. coli</i> genomes"),
        (
            "<b>bold</b> and <sup>2</sup> and H<sub>2</sub>O",
            "<b>bold</b> and <sup>2</sup> and H<sub>2</sub>O",
        ),
        ('The <span class="nocase">iPhone</span> study', "The <span>iPhone</span> study"),
        ("<i>outer <b>inner</b> outer</i>", "<i>outer <b>inner</b> outer</i>"),
        ("<i><i>twice</i></i>", "<i><i>twice</i></i>"),
        # Everything else is literal text.
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("Fish & chips < 5 > 3", "Fish &amp; chips &lt; 5 &gt; 3"),
        ("&amp; stays as typed", "&amp;amp; stays as typed"),
        ("\"quoted\" 'single'", "&quot;quoted&quot; &#x27;single&#x27;"),
        ('<i class="x">attr</i>', "&lt;i class=&quot;x&quot;&gt;attr&lt;/i&gt;"),
        (
            '<i onmouseover="alert(1)">x</i>',
            "&lt;i onmouseover=&quot;alert(1)&quot;&gt;x&lt;/i&gt;",
        ),
        ("<span>plain span</span>", "&lt;span&gt;plain span&lt;/span&gt;"),
        ('<span class="other">x</span>', "&lt;span class=&quot;other&quot;&gt;x&lt;/span&gt;"),
        ("<I>upper</I>", "&lt;I&gt;upper&lt;/I&gt;"),
        ("<em>not CSL</em>", "&lt;em&gt;not CSL&lt;/em&gt;"),
        (
            "<a href='javascript:x'>link</a>",
            "&lt;a href=&#x27;javascript:x&#x27;&gt;link&lt;/a&gt;",
        ),
        # Unbalanced and crossed tags: only well-formed pairs survive.
        ("<i>never closed", "&lt;i&gt;never closed"),
        ("never opened</i>", "never opened&lt;/i&gt;"),
        ("<i>one</i> two</i>", "<i>one</i> two&lt;/i&gt;"),
        ("<i>a <i>b</i>", "&lt;i&gt;a <i>b</i>"),
        ("<i><b>crossed</i></b>", "&lt;i&gt;<b>crossed&lt;/i&gt;</b>"),
        ("<b><i>crossed</b></i>", "&lt;b&gt;<i>crossed&lt;/b&gt;</i>"),
        ('<span class="nocase">x</i>', "&lt;span class=&quot;nocase&quot;&gt;x&lt;/i&gt;"),
        ("</i><i>", "&lt;/i&gt;&lt;i&gt;"),
        ("<i>x</b>", "&lt;i&gt;x&lt;/b&gt;"),
        ("<i><script>x</script></i>", "<i>&lt;script&gt;x&lt;/script&gt;</i>"),
        ("<<i>>x<</i>>", "&lt;<i>&gt;x&lt;</i>&gt;"),
    ],
)
def test_rich_text_escapes_everything_but_well_formed_csl_pairs(source, expected):
    result = rich_text(source)

    assert result == expected
    assert isinstance(result, SafeString)


def test_rich_text_of_none_is_empty():
    assert rich_text(None) == ""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<i>E. coli</i> in H<sub>2</sub>O", "E. coli in H2O"),
        ('The <span class="nocase">iPhone</span> <b>study</b>', "The iPhone study"),
        ("<i>open only", "<i>open only"),
        ("<script>x</script> & <i>y</i>", "<script>x</script> & y"),
        ("<i><b>crossed</i></b>", "<i>crossed</i>"),
        (None, ""),
    ],
)
def test_plain_text_strips_only_well_formed_csl_pairs(source, expected):
    assert plain_text(source) == expected


def test_plain_text_is_escaped_by_the_template():
    rendered = Template("{% load catalogue_tags %}{{ title|plain_text }}").render(
        Context({"title": "<i>Ok</i> <script>alert(1)</script>"})
    )

    assert rendered == "Ok &lt;script&gt;alert(1)&lt;/script&gt;"


def test_rich_text_is_not_escaped_twice_by_the_template():
    rendered = Template("{% load catalogue_tags %}{{ title|rich_text }}").render(
        Context({"title": "<i>A & B</i>"})
    )

    assert rendered == "<i>A &amp; B</i>"


@pytest.mark.parametrize(
    ("output_type", "peer_reviewed", "expected"),
    [
        (
            OutputType.ARTICLE,
            True,
            "Research output: Contribution to journal › Article › peer-review",
        ),
        (OutputType.REVIEW, False, "Research output: Contribution to journal › Review article"),
        (
            OutputType.CHAPTER,
            False,
            "Research output: Chapter in Book/Report/Conference proceeding › Chapter",
        ),
        (OutputType.THESIS, False, "Research output: Thesis › Doctoral thesis"),
        (OutputType.OTHER, False, "Research output: Other contribution"),
    ],
)
def test_research_output_reads_like_a_research_portal(output_type, peer_reviewed, expected):
    article = Article(output_type=output_type, peer_reviewed=peer_reviewed)

    assert research_output(article) == expected


def test_elided_page_range_keeps_ends_and_neighbours():
    paginator = Paginator(list(range(200)), 10)

    pages = elided_page_range(paginator.page(10))

    assert pages == [1, paginator.ELLIPSIS, 8, 9, 10, 11, 12, paginator.ELLIPSIS, 20]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a", True),
        ("HTTP://example.org", True),
        ("javascript:alert(1)", False),
        ("ftp://example.org", False),
        ("", False),
        (None, False),
    ],
)
def test_is_web_url(value, expected):
    assert is_web_url(value) is expected


@pytest.mark.parametrize(
    ("names", "expected"),
    [([], ""), (["A"], "A"), (["A", "B"], "A and B"), (["A", "B", "C"], "A, B and C")],
)
def test_and_list_joins_names_as_a_sentence(names, expected):
    assert and_list(names) == expected


def test_and_list_output_is_escaped_in_a_template():
    rendered = Template("{% load catalogue_tags %}{{ names|and_list }}").render(
        Context({"names": ["<b>A</b>", "B & C"]})
    )

    assert rendered == "&lt;b&gt;A&lt;/b&gt; and B &amp; C"


def test_printed_name_is_the_slots_form_else_the_persons():
    person = Author(family_name="Nguyen", given_names="Patrick")

    assert printed_name(Authorship(author=person, family_name="Nguyen", given_names="P")) == (
        "P Nguyen"
    )
    assert printed_name(Authorship(author=person)) == "Patrick Nguyen"


@pytest.mark.parametrize(
    ("fields", "label", "url"),
    [
        ({"eprint": "2101.00001", "eprint_type": "arXiv", "eprint_class": "cs.CL"},
         "arXiv:2101.00001 [cs.CL]", "https://arxiv.org/abs/2101.00001"),
        ({"eprint": "arXiv:2101.00001v2", "eprint_type": "arxiv"},
         "arxiv:2101.00001v2", "https://arxiv.org/abs/2101.00001v2"),
        ({"eprint": "arXiv:math/0211159"}, "arXiv:math/0211159", "https://arxiv.org/abs/math/0211159"),
        ({"eprint": "hal-01234567", "eprint_type": "HAL"}, "HAL:hal-01234567", ""),
        ({"eprint": "12345678", "eprint_type": "pubmed"}, "pubmed:12345678", ""),
        ({"eprint": "a b?c", "eprint_type": "arXiv"}, "arXiv:a b?c", "https://arxiv.org/abs/a%20b%3Fc"),
        ({}, "", ""),
    ],
)  # fmt: skip
def test_eprint_label_and_url(fields, label, url):
    article = Article(**fields)

    assert (eprint_label(article), eprint_url(article)) == (label, url)


@pytest.mark.parametrize(
    ("output_type", "label"),
    [
        (OutputType.THESIS, "Institution"),
        (OutputType.REPORT, "Institution"),
        (OutputType.BOOK, "Publisher"),
        (OutputType.ARTICLE, "Publisher"),
    ],
)
def test_publisher_label(output_type, label):
    assert publisher_label(Article(output_type=output_type)) == label
