"""Research topics (issue 19): normalisation, extraction, weighting and related records on
small inline texts, then refresh_topics, the import hook, the record page's context, the
experts page and the API against a small catalogue."""

from __future__ import annotations

import io
import math

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue.models import (
    ArticleTopic,
    AuthorTopic,
    JournalTopic,
    RelatedArticle,
    TopicConcept,
    TopicStatistics,
)
from catalogue.topics import record_context, store, update_articles
from catalogue.topics.experts import QueryError, clean_query, find_experts, matching_concepts
from catalogue.topics.related import Postings, shared_concepts
from catalogue.topics.text import candidates, normalise, query_keys, singular
from catalogue.topics.weighting import RecordText, cosine, fingerprint, idf, record_keys
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

# --- normalisation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("studies", "study"),
        ("alliances", "alliance"),
        ("classes", "class"),
        ("boxes", "box"),
        ("analysis", "analysis"),
        ("status", "status"),
        ("ethics", "ethics"),
        ("bus", "bus"),
        ("covid-19", "covid-19"),
    ],
)
def test_singular(word, expected):
    assert singular(word) == expected


def test_normalise_folds_case_accents_plurals_and_a_leading_article():
    assert normalise("Therapeutic  Alliances") == "therapeutic alliance"
    assert normalise("Études de Café") == "etude de cafe"
    assert normalise("The Philippines") == "philippine"
    assert normalise("the") == "the"
    assert normalise("") == ""


# --- extraction ----------------------------------------------------------------------------


def test_candidates_are_runs_between_stop_words_and_punctuation_up_to_three_words():
    found = candidates("The therapeutic alliance predicts dropout; Therapeutic Alliances matter.")
    assert {key: term.count for key, term in found.terms.items()} == {
        "therapeutic": 2,
        "alliance": 2,
        "therapeutic alliance": 2,
        "predict": 1,
        "dropout": 1,
        "predict dropout": 1,
        "alliance predict": 1,
        "therapeutic alliance predict": 1,
        "alliance predict dropout": 1,
        "matter": 1,
        "alliance matter": 1,
        "therapeutic alliance matter": 1,
    }
    assert found.length == 7


def test_candidates_keep_acronyms_and_skip_numbers_and_participle_endings():
    found = candidates("HIV testing in 2019 was 12.5% higher; stigma experienced by mHealth users")
    assert found.terms["hiv testing"].label == "HIV testing"
    assert found.terms["mhealth user"].label == "mHealth users"
    assert "2019" not in found.terms
    assert "stigma experienced" not in found.terms  # a clause, not a thing
    assert "experienced" not in found.terms


def test_query_keys_longest_first():
    assert query_keys("therapeutic alliance") == ["therapeutic alliance", "alliance", "therapeutic"]


# --- weighting -----------------------------------------------------------------------------


def test_idf_is_bm25s_and_never_negative():
    assert idf(1, 100) == pytest.approx(math.log(1 + 99.5 / 1.5))
    assert idf(100, 100) == pytest.approx(math.log(1 + 0.5 / 100.5))
    assert idf(0, 10) == idf(1, 10)


FREQUENCIES = {
    "therapeutic alliance": 5,
    "therapeutic": 8,
    "alliance": 6,
    "psychotherapy": 40,
    "outcome": 300,
    "dropout": 20,
    "predict": 150,
}


def test_fingerprint_weights_scaled_to_100_with_fields_and_frequencies():
    record = RecordText(
        title="Therapeutic alliance and dropout",
        abstract="The therapeutic alliance predicts dropout in psychotherapy.",
    )
    items = fingerprint(record, frequencies=FREQUENCIES, articles=1000, average_length=8)
    # Length 8 = the average: BM25's length norm is 1. "therapeutic alliance": tf = 6 (title)
    # + 1 (abstract) = 7, 7 * (6 + 1) / (7 + 6) * ln(1 + 995.5 / 5.5) = 19.615. "predicts" is
    # seen only inside longer phrases: their part, not a concept.
    assert [(item.label, round(item.score, 3), item.weight) for item in items] == [
        ("therapeutic alliance", 19.615, 100.0),
        ("dropout", 14.656, 74.7),
        ("psychotherapy", 3.207, 16.4),
    ]
    strongest = items[0]
    assert strongest.fields == ("title", "abstract")
    assert strongest.occurrences == 2
    assert strongest.document_frequency == 5
    # Unit weights make a vector of length 1: dot products are cosines.
    assert sum(item.unit**2 for item in items) == pytest.approx(1.0)


def test_words_only_inside_a_phrase_are_its_part_not_concepts():
    record = RecordText(title="Therapeutic alliance", abstract="")
    keys = [
        i.key for i in fingerprint(record, frequencies=FREQUENCIES, articles=1000, average_length=8)
    ]
    assert keys == ["therapeutic alliance"]


def test_a_term_no_other_record_has_is_no_concept_unless_a_keyword():
    record = RecordText(title="Zyxwv quorbles", abstract="", keywords=["Quorbles"])
    items = fingerprint(record, frequencies={}, articles=10, average_length=5)
    assert [(item.label, item.kind, item.fields) for item in items] == [
        ("Quorbles", "keyword", ("title", "keyword"))
    ]


def test_keywords_merge_with_text_terms_and_keep_the_vocabulary_spelling():
    record = RecordText(
        title="COVID-19 vaccines",
        abstract="Covid-19 vaccines work.",
        keywords=["COVID-19"],
        subjects=["Public Health"],
    )
    items = fingerprint(
        record,
        frequencies={"covid-19": 3, "vaccine": 4, "covid-19 vaccine": 2, "public health": 9},
        articles=50,
        average_length=4,
    )
    by_key = {item.key: item for item in items}
    assert by_key["covid-19"].label == "COVID-19"
    assert by_key["covid-19"].kind == "keyword"
    assert by_key["covid-19"].fields == ("keyword",) or by_key["covid-19"].fields
    assert by_key["public health"].kind == "subject"
    assert by_key["public health"].fields == ("subject",)
    assert record_keys(record)[0] >= {"covid-19", "public health", "covid-19 vaccine"}


def test_fingerprint_of_an_empty_record_is_empty():
    assert fingerprint(RecordText(), frequencies={}, articles=0, average_length=0) == []


# --- related -------------------------------------------------------------------------------


def test_cosine_and_shared_concepts():
    a = {"alliance": 0.8, "dropout": 0.6}
    b = {"alliance": 0.6, "outcome": 0.8}
    assert cosine(a, b) == pytest.approx(0.48)
    assert shared_concepts(a, b, {"alliance": "therapeutic alliance"}) == ["therapeutic alliance"]


def test_postings_rank_by_cosine_above_the_floor_without_the_record_itself():
    index = Postings()
    vectors = {
        1: {"a": 0.8, "b": 0.6},
        2: {"a": 0.6, "c": 0.8},
        3: {"b": 1.0},
        4: {"a": 0.1, "d": 0.995},
    }
    for pk, vector in vectors.items():
        index.add(pk, vector)
    assert index.related(1, vectors[1], floor=0.1) == [(2, pytest.approx(0.48)), (3, 0.6)][::-1]
    assert index.related(1, vectors[1], floor=0.5) == [(3, 0.6)]
    assert index.related(1, vectors[1], floor=0.0, limit=1) == [(3, 0.6)]


# --- the catalogue -------------------------------------------------------------------------

ALLIANCE = "The therapeutic alliance predicts dropout from psychotherapy."
SLEEP = "Sleep quality of shift workers and insomnia in hospitals."


@pytest.fixture
def catalogue(db):
    """Six records: four on the therapeutic alliance, two on sleep; one author on each side."""
    alliance_kw = make_keyword(term="Therapeutic alliance")
    psych = make_subject(name="Clinical Psychology", code="3203")
    sleep_subject = make_subject(name="Neurology", code="2808")
    journal = make_journal(title="Psychotherapy Research")
    ada = make_author(family_name="Lovelace", given_names="Ada")
    bob = make_author(family_name="Night", given_names="Bob")
    records = {
        "a1": make_article(
            title="Therapeutic alliance and dropout",
            abstract=ALLIANCE,
            authors=[ada],
            keywords=[alliance_kw],
            subject_areas=[psych],
            journal=journal,
            year=2024,
        ),
        "a2": make_article(
            title="Alliance ruptures and dropout",
            abstract=ALLIANCE,
            authors=[ada],
            subject_areas=[psych],
            journal=journal,
            year=2010,
        ),
        "a3": make_article(
            title="Therapeutic alliance in group psychotherapy",
            abstract=ALLIANCE,
            keywords=[alliance_kw],
            journal=journal,
            year=2020,
        ),
        "a4": make_article(title="Dropout from psychotherapy", abstract=ALLIANCE, year=2019),
        "s1": make_article(
            title="Insomnia of shift workers",
            abstract=SLEEP,
            authors=[bob],
            subject_areas=[sleep_subject],
            year=2022,
        ),
        "s2": make_article(
            title="Sleep quality in hospitals",
            abstract=SLEEP,
            authors=[bob],
            subject_areas=[sleep_subject],
            year=2021,
        ),
    }
    return records


def test_refresh_topics_fingerprints_relates_and_aggregates(catalogue):
    call_command("refresh_topics", stdout=io.StringIO())
    stats = TopicStatistics.objects.get()
    assert (stats.articles, stats.phase, stats.resume_after) == (6, "", 0)
    assert stats.computed_at is not None
    a1 = catalogue["a1"]
    top = ArticleTopic.objects.filter(article=a1).order_by("-weight").select_related("concept")
    assert top[0].weight == 100.0
    assert top[0].concept.label == "Therapeutic alliance"  # the keyword's spelling
    assert top[0].concept.kind == "keyword"
    assert set(top[0].fields.split(",")) == {"title", "abstract", "keyword"}
    related = list(RelatedArticle.objects.filter(article=a1).values_list("related_id", flat=True))
    assert set(related) == {catalogue["a2"].pk, catalogue["a3"].pk, catalogue["a4"].pk}
    assert catalogue["s1"].pk not in related
    shared = RelatedArticle.objects.get(article=a1, related=catalogue["a3"]).shared
    assert "Therapeutic alliance" in shared.split("; ")
    sleep_related = RelatedArticle.objects.filter(article=catalogue["s1"])
    assert list(sleep_related.values_list("related_id", flat=True)) == [catalogue["s2"].pk]
    ada_top = AuthorTopic.objects.filter(author__family_name="Lovelace").order_by("-weight")
    assert ada_top[0].weight == 100.0
    assert ada_top.filter(concept__key="therapeutic alliance").get().records == 2
    assert JournalTopic.objects.filter(journal__title="Psychotherapy Research").exists()
    grouped = TopicConcept.objects.get(key="therapeutic alliance")
    assert grouped.main_subject.name == "Clinical Psychology"


def test_refresh_resumes_after_the_last_finished_batch(catalogue, monkeypatch):
    store.count_catalogue()
    monkeypatch.setattr(store, "BATCH_SIZE", 2)
    calls = []
    store.fingerprint_catalogue(lambda phase, done, total: calls.append((phase, done, total)))
    assert calls == [("fingerprints", 2, 6), ("fingerprints", 4, 6), ("fingerprints", 6, 6)]
    # Interrupted after the first related batch: the next run does only the rest.
    row = TopicStatistics.objects.get()
    assert row.phase == "related"
    first_batch = sorted(a.pk for a in catalogue.values())[:2]
    row.resume_after = first_batch[-1]
    row.save()
    calls.clear()
    store.refresh(progress=lambda phase, done, total: calls.append((phase, done, total)))
    assert calls[0] == ("related", 4, 6)
    assert calls[-1] == ("people", 3, 3)
    assert TopicStatistics.objects.get().phase == ""


def test_update_articles_fingerprints_a_new_record_against_stored_statistics(catalogue):
    store.refresh()
    new = make_article(title="Therapeutic alliance ruptures", abstract=ALLIANCE)
    assert update_articles([new.pk]) == 1
    assert ArticleTopic.objects.filter(article=new).exists()
    related = RelatedArticle.objects.filter(article=new).order_by("-similarity")
    assert catalogue["a1"].pk in related.values_list("related_id", flat=True)
    assert related.filter(related=catalogue["s1"]).exists() is False
    assert update_articles([]) == 0


def test_record_context_in_constant_queries(catalogue, django_assert_num_queries):
    store.refresh()
    with django_assert_num_queries(3):
        context = record_context(catalogue["a1"])
        labels = [concept.label for concept in context["fingerprint"].concepts]
        titles = [item.article.title for item in context["related"]]
        journals = [
            item.article.journal and item.article.journal.title for item in context["related"]
        ]
    assert labels[0] == "Therapeutic alliance"
    assert len(titles) == 3
    assert journals.count("Psychotherapy Research") == 2
    group_names = [name for name, _ in context["fingerprint"].groups]
    assert group_names[0] == "Clinical Psychology"


def test_record_without_topics_has_an_empty_context(db):
    article = make_article(title="Nothing yet")
    context = record_context(article)
    assert not context["fingerprint"]
    assert context["related"] == []


# --- experts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x00b", "The query holds a null character."),
        ("x" * 201, "The query is 201 characters long; at most 200 are read."),
        ("a\x07b", "The query holds a control character."),
    ],
)
def test_clean_query_refuses_bad_input(text, message):
    with pytest.raises(QueryError) as caught:
        clean_query(text)
    assert str(caught.value) == message


def test_clean_query_collapses_spaces():
    assert clean_query("  therapeutic \n alliance ") == "therapeutic alliance"


def test_find_experts_ranks_people_with_supporting_records(catalogue, django_assert_num_queries):
    store.refresh()
    assert [c.key for c in matching_concepts("Therapeutic Alliances")] == ["therapeutic alliance"]
    with django_assert_num_queries(5):
        result = find_experts("therapeutic alliance")
    assert [expert.author.family_name for expert in result.experts] == ["Lovelace"]
    ada = result.experts[0]
    assert ada.concepts == ["Therapeutic alliance"]
    assert {record.article_id for record in ada.records} == {catalogue["a1"].pk, catalogue["a2"].pk}
    assert find_experts("quantum chromodynamics").experts == []


# --- pages and API -------------------------------------------------------------------------


def test_experts_page(client, catalogue):
    store.refresh()
    response = client.get(reverse("catalogue:expert-list"), {"q": "therapeutic alliance"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ada Lovelace" in html
    assert "Bob Night" not in html
    assert "Matches: Therapeutic alliance" in html
    assert "Catalogue statistics last recomputed <time" in html


def test_experts_page_without_query_and_without_match(client, db):
    response = client.get(reverse("catalogue:expert-list"))
    assert response.status_code == 200
    assert "Catalogue statistics last recomputed never." in response.content.decode()
    response = client.get(reverse("catalogue:expert-list"), {"q": "<b>nothing</b>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "No research topic in the catalogue matches “&lt;b&gt;nothing&lt;/b&gt;”" in html


@pytest.mark.parametrize(
    ("q", "message"),
    [("x" * 300, "at most 200 are read"), ("a\x00b", "null character")],
)
def test_experts_page_refuses_bad_queries(client, db, q, message):
    response = client.get(reverse("catalogue:expert-list"), {"q": q})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_api_related(client, catalogue):
    store.refresh()
    a1 = catalogue["a1"]
    response = client.get(reverse("catalogue:api-article-related", args=[a1.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["article"] == a1.pk
    assert {item["id"] for item in body["related"]} == {
        catalogue["a2"].pk,
        catalogue["a3"].pk,
        catalogue["a4"].pk,
    }
    first = body["related"][0]
    assert set(first) == {"id", "title", "year", "url", "api_url", "similarity", "shared"}
    assert first["url"] == f"http://testserver/articles/{first['id']}/"
    assert 0.12 <= first["similarity"] <= 1.0


def test_api_topics_and_unknown_articles(client, catalogue):
    store.refresh()
    a1 = catalogue["a1"]
    body = client.get(reverse("catalogue:api-article-topics", args=[a1.pk])).json()
    assert body["topics"][0]["concept"] == "Therapeutic alliance"
    assert body["topics"][0]["weight"] == 100.0
    assert body["catalogue_records"] == 6
    for name in ("catalogue:api-article-related", "catalogue:api-article-topics"):
        response = client.get(reverse(name, args=[999999]))
        assert response.status_code == 404
        assert response.json() == {"detail": "There is no article with the id 999999."}


def test_api_experts(client, catalogue):
    store.refresh()
    body = client.get(reverse("catalogue:api-experts"), {"q": "therapeutic alliance"}).json()
    assert body["concepts"] == ["Therapeutic alliance"]
    assert [expert["name"] for expert in body["experts"]] == ["Ada Lovelace"]
    response = client.get(reverse("catalogue:api-experts"))
    assert response.status_code == 400
    assert response.json() == {"detail": "Give a topic to search for: ?q=..."}
    response = client.get(reverse("catalogue:api-experts"), {"q": "x" * 201})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The query is 201 characters long")


def test_templates_escape_and_link_each_concept_to_a_search(client, catalogue):
    catalogue["a3"].title = "Therapeutic alliance <script>alert(1)</script>"
    catalogue["a3"].save()
    store.refresh()
    html = client.get(catalogue["a1"].get_absolute_url()).content.decode()
    assert "Research topics" in html
    assert '<a href="/search/?q=%22Therapeutic+alliance%22">' in html
    assert "<script>alert(1)</script>" not in html


def test_api_huge_ids_are_404s_not_500s(client, db):
    for name in ("catalogue:api-article-related", "catalogue:api-article-topics"):
        response = client.get(reverse(name, args=[10**22]))
        assert response.status_code == 404
        assert response.json() == {"detail": f"There is no article with the id {10**22}."}


def test_refresh_topics_command_reports_and_restarts(catalogue):
    out = io.StringIO()
    call_command("refresh_topics", stdout=out)
    first = out.getvalue()
    assert first.startswith("Research topics refreshed: 6 records, ")
    concepts = TopicStatistics.objects.get().concepts
    assert f"{concepts:,} concepts" in first
    out = io.StringIO()
    call_command("refresh_topics", "--restart", stdout=out)
    assert out.getvalue().startswith("Research topics refreshed: 6 records, ")
    assert ArticleTopic.objects.filter(article=catalogue["a1"]).count() > 0


def test_refresh_topics_skips_when_current_and_not_after_a_change(catalogue):
    def run(*args):
        out = io.StringIO()
        call_command("refresh_topics", *args, stdout=out)
        return out.getvalue()

    skipped = "Research topics are current: nothing to refresh.\n"
    assert run("--skip-if-current").startswith("Research topics refreshed: 6 records, ")
    assert run("--skip-if-current") == skipped
    make_article(title="A seventh record on the therapeutic alliance")
    assert run("--skip-if-current").startswith("Research topics refreshed: 7 records, ")
    assert run("--skip-if-current") == skipped
    catalogue["a1"].save()  # changed in the admin, say
    assert run("--skip-if-current").startswith("Research topics refreshed: 7 records, ")
    catalogue["a1"].delete()
    assert run("--skip-if-current").startswith("Research topics refreshed: 6 records, ")


# --- the WoS reader of bench/topics_eval.py ------------------------------------------------

WOS = """\ufeffFN Clarivate Analytics Web of Science
VR 1.0
PT J
AU Smith, J
TI Palliative care for people living with HIV/AIDS: factors influencing
   knowledge
SO PLOS ONE
DE HIV/AIDS; palliative care; health
   workers
AB Background
   Physicians play vital roles.
WC Multidisciplinary Sciences
ER

PT J
TI Second
SO BMC PUBLIC HEALTH
WC Public, Environmental & Occupational Health; Nursing
ER

EF
"""


def test_wos_reader(tmp_path, monkeypatch):
    import importlib.util
    import sys

    from django.conf import settings

    path = settings.BASE_DIR / "bench" / "topics_eval.py"
    spec = importlib.util.spec_from_file_location("topics_eval", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "topics_eval", module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    (tmp_path / "a.txt").write_text(WOS, encoding="utf-8")
    first, second = module.read_corpus(tmp_path)
    assert first.title == (
        "Palliative care for people living with HIV/AIDS: factors influencing knowledge"
    )
    assert first.abstract == "Background\nPhysicians play vital roles."
    assert first.keywords == ["HIV/AIDS", "palliative care", "health workers"]
    assert first.categories == ["Multidisciplinary Sciences"]
    assert (second.title, second.journal, second.keywords) == ("Second", "BMC PUBLIC HEALTH", [])
    assert second.categories == ["Public, Environmental & Occupational Health", "Nursing"]


def test_an_import_fingerprints_its_records(catalogue):
    from catalogue import importer

    store.refresh()
    data = (
        b"@article{ruptures2024,\n  title = {Therapeutic alliance ruptures and dropout},\n"
        b"  author = {Lovelace, Ada},\n  year = {2024},\n"
        b"  abstract = {The therapeutic alliance predicts dropout from psychotherapy.},\n}\n"
    )
    batch = importer.run_import(data=data, filename="alliance.bib")
    (article_id,) = batch.records.values_list("article_id", flat=True)
    concepts = ArticleTopic.objects.filter(article_id=article_id).order_by("-weight")
    keys = [topic.concept.key for topic in concepts.select_related("concept")]
    assert set(keys[:2]) == {"therapeutic alliance", "dropout"}
    related = RelatedArticle.objects.filter(article_id=article_id)
    assert catalogue["a1"].pk in set(related.values_list("related_id", flat=True))


def test_refresh_of_an_empty_catalogue(db):
    out = io.StringIO()
    call_command("refresh_topics", stdout=out)
    assert out.getvalue().startswith("Research topics refreshed: 0 records, 0 concepts, in ")
    row = TopicStatistics.objects.get()
    assert (row.articles, row.average_length, row.phase) == (0, 0.0, "")


def test_a_records_terms_are_found_once_for_its_keys_and_its_weights(monkeypatch):
    from catalogue.topics import weighting

    calls = []
    real = weighting.candidates

    def counted(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(weighting, "candidates", counted)
    record = weighting.RecordText(
        title="The therapeutic alliance", abstract="Alliance ruptures and their repair."
    )

    keys, _ = weighting.record_keys(record)
    weights = weighting.fingerprint(
        record, frequencies=dict.fromkeys(keys, 2), articles=10, average_length=8.0
    )

    assert calls == ["The therapeutic alliance", "Alliance ruptures and their repair."]
    assert {item.key for item in weights} <= keys


# --- related records over the whole catalogue: the sparse matrix against brute force -------


def _random_vectors(seed: int, records: int, concepts: int) -> dict[int, dict[int, float]]:
    """Random unit-length fingerprints: 1-20 concepts each, common concepts more likely (so
    some exceed a small postings bound), a few records sharing an identical fingerprint (ties)."""
    import random

    rng = random.Random(seed)
    vectors: dict[int, dict[int, float]] = {}
    for pk in range(1, records + 1):
        if pk % 25 == 0:  # an exact copy of the previous record: equal cosines, tie order
            vectors[pk] = dict(vectors[pk - 1])
            continue
        chosen = {1 + int(rng.paretovariate(0.8)) % concepts for _ in range(rng.randint(1, 20))}
        raw = {concept: rng.random() + 0.01 for concept in chosen}
        length = math.sqrt(sum(value * value for value in raw.values()))
        vectors[pk] = {concept: value / length for concept, value in raw.items()}
    return vectors


def _brute_force(vectors, *, max_postings: int, floor: float, limit: int):
    """Every pair's cosine over the concepts in at most `max_postings` records, the record's
    `limit` best at or above `floor`, ties by the smaller id; and their shared concepts."""
    postings: dict[int, int] = {}
    for vector in vectors.values():
        for concept in vector:
            postings[concept] = postings.get(concept, 0) + 1
    related, shared = {}, {}
    for pk, left in vectors.items():
        scored = []
        for other, right in vectors.items():
            if other == pk:
                continue
            common = [c for c in left if c in right and postings[c] <= max_postings]
            score = math.fsum(left[c] * right[c] for c in common)
            if common and score >= floor:
                scored.append((-score, other))
        scored.sort()
        related[pk] = [(other, -score) for score, other in scored[:limit]]
        for other, _ in related[pk]:
            both = sorted(set(left) & set(right := vectors[other]))
            ranked = sorted(both, key=lambda c: (-left[c] * right[c], c))
            shared[pk, other] = ranked[:3]
    return related, shared


def _matrix(vectors):
    import numpy as np

    from catalogue.topics.related import matrix_from_rows

    rows = [(pk, c, u) for pk in sorted(vectors) for c, u in sorted(vectors[pk].items())]
    array = np.array(rows, dtype=np.float64)
    # In uneven chunks, a record's rows split across two of them.
    return matrix_from_rows([array[:7], array[7:500], array[500:]], entries=10)


@pytest.mark.parametrize(
    ("max_postings", "floor", "work"), [(40, 0.12, 2_000_000), (1000, 0.05, 50)]
)
def test_matrix_index_equals_brute_force_cosines(max_postings, floor, work):
    from catalogue.topics.related import MatrixIndex

    vectors = _random_vectors(seed=19, records=400, concepts=300)
    expected, expected_shared = _brute_force(
        vectors, max_postings=max_postings, floor=floor, limit=10
    )
    ids, matrix = _matrix(vectors)
    assert ids.tolist() == sorted(vectors)
    index = MatrixIndex(ids, matrix, max_postings=max_postings)
    assert index.common.any() == (max_postings < 400)  # the bound is exercised, or not
    found: dict[int, list] = {pk: [] for pk in vectors}
    pairs = []
    for start in range(0, len(ids), 64):  # batches, a chunk of `work` at a time
        rows, others, scores = index.related(
            start, min(start + 64, len(ids)), floor=floor, work=work
        )
        shared = index.shared(rows, others)
        for row, other, score, concepts in zip(rows, others, scores, shared, strict=True):
            found[int(ids[row])].append((int(ids[other]), float(score)))
            pairs.append(((int(ids[row]), int(ids[other])), concepts))
    assert sum(len(items) for items in expected.values()) > 1000
    for pk, items in expected.items():
        assert [other for other, _ in found[pk]] == [other for other, _ in items], pk
        assert [s for _, s in found[pk]] == pytest.approx([s for _, s in items], abs=1e-12)
    assert dict(pairs) == expected_shared
    # Ties (a record and its identical copy, equal cosines) are listed smaller id first, and
    # the lists above have some.
    ties = [
        (items[i][0], items[i + 1][0])
        for items in found.values()
        for i in range(len(items) - 1)
        if items[i][1] == items[i + 1][1]
    ]
    assert ties and all(first < second for first, second in ties)


def test_matrix_index_of_nothing_and_of_records_sharing_nothing():
    import numpy as np

    from catalogue.topics.related import MatrixIndex, matrix_from_rows

    ids, matrix = matrix_from_rows([])
    assert ids.tolist() == [] and matrix.shape[0] == 0
    ids, matrix = matrix_from_rows([np.array([[5, 1, 1.0], [9, 2, 1.0]])])
    index = MatrixIndex(ids, matrix)
    rows, others, scores = index.related(0, 2)
    assert (rows.tolist(), others.tolist(), scores.tolist()) == ([], [], [])
    assert index.shared(rows, others) == []


def _store_vectors(vectors, document_frequency=10**6):
    """Store these fingerprints as records' topics; return the articles by vector key."""
    articles = {pk: make_article(title=f"Record {pk}", journal=None) for pk in vectors}
    concepts = {
        c: TopicConcept.objects.create(
            key=f"concept {c}",
            label=f"Concept {c}",
            kind="term",
            document_frequency=document_frequency,
        )
        for c in sorted({c for vector in vectors.values() for c in vector})
    }
    ArticleTopic.objects.bulk_create(
        ArticleTopic(
            article=articles[pk],
            concept=concepts[c],
            weight=100 * unit,
            unit=unit,
            fields="title",
            occurrences=1,
        )
        for pk, vector in vectors.items()
        for c, unit in vector.items()
    )
    return articles


def test_relate_catalogue_stores_the_brute_force_lists_in_resumable_batches(db, monkeypatch):
    vectors = _random_vectors(seed=7, records=90, concepts=120)
    articles = _store_vectors(vectors)
    expected, expected_shared = _brute_force(vectors, max_postings=30, floor=0.12, limit=10)
    monkeypatch.setattr(store, "MAX_POSTINGS", 30)
    monkeypatch.setattr(store, "BATCH_SIZE", 20)
    row = store.statistics_row()
    row.phase = "related"
    # Stopped after the batch ending at the 40th record: the rerun does only the rest.
    row.resume_after = articles[40].pk
    row.save()
    stale = make_article(title="Fingerprint removed since", journal=None)
    RelatedArticle.objects.create(article=stale, related=articles[1], similarity=0.5, shared="x")
    calls = []
    store.refresh(progress=lambda phase, done, total: calls.append((phase, done, total)))
    assert calls[:3] == [("related", 60, 90), ("related", 80, 90), ("related", 90, 90)]
    stored = RelatedArticle.objects.order_by("article_id", "-similarity", "related_id")
    by_record: dict[int, list] = {}
    for item in stored:
        by_record.setdefault(item.article_id, []).append(item)
    back = {article.pk: pk for pk, article in articles.items()}
    assert set(by_record) == {articles[pk].pk for pk in expected if pk > 40 and expected[pk]}
    for pk in range(41, 91):
        items = by_record.get(articles[pk].pk, [])
        assert [back[i.related_id] for i in items] == [o for o, _ in expected[pk]]
        assert [i.similarity for i in items] == [round(s, 4) for _, s in expected[pk]]
        for item in items:
            labels = [f"Concept {c}" for c in expected_shared[pk, back[item.related_id]]]
            assert item.shared == "; ".join(labels)


@pytest.mark.parametrize("document_frequency", [1, 10**6])
def test_update_path_reading_every_posting_equals_brute_force(db, monkeypatch, document_frequency):
    vectors = _random_vectors(seed=11, records=80, concepts=100)
    # Concepts' text frequencies above the bound: their postings are counted (bounded).
    articles = _store_vectors(vectors, document_frequency=document_frequency)
    expected, expected_shared = _brute_force(vectors, max_postings=25, floor=0.12, limit=10)
    monkeypatch.setattr(store, "MAX_POSTINGS", 25)
    monkeypatch.setattr(store, "INDEX_POSTINGS", 1000)
    monkeypatch.setattr(store, "CANDIDATES", 1000)
    store._relate_from_index([article.pk for article in articles.values()])
    back = {article.pk: pk for pk, article in articles.items()}
    for pk, article in articles.items():
        items = RelatedArticle.objects.filter(article=article).order_by("-similarity", "related_id")
        got = [(back[i.related_id], i.similarity, i.shared) for i in items]
        want = [
            (o, round(score, 4), "; ".join(f"Concept {c}" for c in expected_shared[pk, o]))
            for o, score in expected[pk]
        ]
        if document_frequency == 1:
            # Text frequencies under the bound: every concept is searched (the bound unused).
            continue
        assert got == want, pk
    if document_frequency == 1:
        unbounded, _ = _brute_force(vectors, max_postings=10**6, floor=0.12, limit=10)
        for pk, article in articles.items():
            items = RelatedArticle.objects.filter(article=article)
            got = list(
                items.order_by("-similarity", "related_id").values_list("related_id", flat=True)
            )
            assert [back[i] for i in got] == [o for o, _ in unbounded[pk]], pk


def test_update_path_with_few_postings_lists_exact_cosines_best_first(db, monkeypatch):
    vectors = _random_vectors(seed=5, records=80, concepts=60)
    articles = _store_vectors(vectors)
    every, _ = _brute_force(vectors, max_postings=10**6, floor=0.0, limit=10**6)
    expected, _ = _brute_force(vectors, max_postings=10**6, floor=0.12, limit=10)
    monkeypatch.setattr(store, "INDEX_POSTINGS", 3)
    monkeypatch.setattr(store, "CANDIDATES", 5)
    store._relate_from_index([article.pk for article in articles.values()])
    back = {article.pk: pk for pk, article in articles.items()}
    found = agreed = 0
    for pk, article in articles.items():
        items = RelatedArticle.objects.filter(article=article).order_by("-similarity", "related_id")
        got = [(back[i.related_id], i.similarity) for i in items]
        exact = dict(every[pk])
        assert len(got) <= 5
        assert all(score == round(exact[o], 4) and score >= 0.12 for o, score in got)
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        found += len(got)
        agreed += len({o for o, _ in got} & {o for o, _ in expected[pk]})
    # Three postings per concept find some of the best related records, not all.
    assert 0 < agreed < sum(len(items) for items in expected.values())
    assert agreed <= found


def test_people_and_journals_fingerprints_equal_a_plain_sum(catalogue, monkeypatch):
    """The matrix aggregation against the definition, summed here row by row."""
    store.refresh()
    monkeypatch.setattr(store, "MAX_PERSON_CONCEPTS", 3)
    monkeypatch.setattr(store, "PEOPLE_WORK", 1)  # an owner per slice
    bob = catalogue["s1"].authorships.get().author
    # A second author on an undated record; a record with an author but no fingerprint.
    cy = make_author(family_name="Young", given_names="Cy")
    catalogue["a4"].authorships.create(author=cy, position=1)
    type(catalogue["a4"]).objects.filter(pk=catalogue["a4"].pk).update(year=None)
    empty = make_article(title="", abstract="", authors=[cy], journal=None)
    assert not ArticleTopic.objects.filter(article=empty).exists()
    store.aggregate_people()
    newest = 2024
    expected: dict[tuple[int, int], list[float]] = {}
    topics = ArticleTopic.objects.select_related("article").prefetch_related("article__authorships")
    for topic in topics:
        year = topic.article.year
        age = 10 if year is None or year > newest else newest - year
        for authorship in topic.article.authorships.all():
            entry = expected.setdefault((authorship.author_id, topic.concept_id), [0.0, 0])
            entry[0] += topic.weight / (1.0 + age / 10)
            entry[1] += 1
    for author in (catalogue["a1"].authorships.get().author, bob, cy):
        mine = sorted(
            ((c, s, n) for (a, c), (s, n) in expected.items() if a == author.pk),
            key=lambda item: (-item[1], item[0]),
        )[:3]
        stored = AuthorTopic.objects.filter(author=author).order_by("-score", "concept_id")
        got = [(t.concept_id, t.score, t.records, t.weight) for t in stored]
        assert [(c, n) for c, _, n, _ in got] == [(c, n) for c, _, n in mine]
        assert [s for _, s, _, _ in got] == pytest.approx([s for _, s, _ in mine])
        assert [w for *_, w in got] == pytest.approx([100 * s / mine[0][1] for _, s, _ in mine])
    journal = catalogue["a1"].journal
    sums: dict[int, float] = {}
    for topic in topics.filter(article__journal=journal):
        age = newest - topic.article.year
        sums[topic.concept_id] = sums.get(topic.concept_id, 0.0) + topic.weight / (1 + age / 10)
    best = sorted(sums.items(), key=lambda item: (-item[1], item[0]))[:3]
    stored = JournalTopic.objects.filter(journal=journal).order_by("-score", "concept_id")
    assert [(t.concept_id, t.score) for t in stored] == [(c, pytest.approx(s)) for c, s in best]
    with_topics = {t.article.journal_id for t in topics if t.article.journal_id}
    assert set(JournalTopic.objects.values_list("journal_id", flat=True)) == with_topics


def test_expert_ranking_from_the_strongest_lists_equals_the_full_grouping(catalogue, monkeypatch):
    from catalogue.topics import experts

    for number, key in enumerate(["a1", "a2", "a3", "a4", "a3", "a4"]):
        author = make_author(family_name=f"Person {number}", given_names="P")
        catalogue[key].authorships.create(author=author, position=5 + number)
    store.refresh()
    ids = [c.pk for c in matching_concepts("therapeutic alliance, dropout and psychotherapy")]
    assert len(ids) >= 2
    full = experts._grouped(AuthorTopic.objects.filter(concept_id__in=ids), 20)
    assert len(full) >= 5
    for limit in (1, 2, 20):
        expected = [(r["author_id"], r["matched"]) for r in full[:limit]]
        for read in (1, 2, 3, 1000):
            monkeypatch.setattr(experts, "CANDIDATES", read)
            ranked = experts._ranked(ids, limit)
            assert [(r["author_id"], r["matched"]) for r in ranked] == expected
            assert [r["total"] for r in ranked] == pytest.approx([r["total"] for r in full[:limit]])


def test_labels_of_unlabelled_concepts_are_written_in_id_order_and_only_when_empty(
    catalogue, monkeypatch
):
    """Two transactions fingerprinting at once label the same concepts: each in id order (no
    deadlock), and never over a label another wrote meanwhile."""
    store.refresh()
    # Concepts a refresh counted but no fingerprint labelled yet, ids against key order.
    TopicConcept.objects.update(label="")
    keys = sorted(TopicConcept.objects.values_list("key", flat=True), reverse=True)
    for key in keys:  # re-created last key first: ids descending as keys ascend
        concept = TopicConcept.objects.get(key=key)
        concept.pk = None
        TopicConcept.objects.filter(key=key).delete()
        concept.save()
    statements = []
    execute_many = store._execute_many

    def recording(sql, rows):
        statements.append((sql, list(rows)))
        return execute_many(sql, rows)

    monkeypatch.setattr(store, "_execute_many", recording)
    new = make_article(title="Therapeutic alliance ruptures", abstract=ALLIANCE)
    update_articles([new.pk])

    [(sql, rows)] = [(sql, rows) for sql, rows in statements if "SET label" in sql]
    assert sql.endswith("WHERE id = %s AND label = ''")
    assert [pk for _, pk in rows] == sorted(pk for _, pk in rows)
    assert len(rows) > 1
    labels = dict(TopicConcept.objects.values_list("key", "label"))
    assert labels["therapeutic alliance"] == "therapeutic alliance"  # as the abstract has it
    # A label already written is kept: the same record again writes none.
    TopicConcept.objects.filter(key="therapeutic alliance").update(label="Kept")
    statements.clear()
    update_articles([new.pk])
    assert TopicConcept.objects.get(key="therapeutic alliance").label == "Kept"
    assert all(not rows for sql, rows in statements if "SET label" in sql)


def test_prepared_mentions_are_taken_only_for_the_very_same_text(catalogue, monkeypatch):
    """update_articles takes mentions found ahead for a record read back with exactly the text
    prepared, finds them again for any other, and the fingerprints are the same either way."""
    from catalogue.topics import weighting

    store.refresh()
    kept = make_article(
        title="Therapeutic alliance ruptures", abstract=ALLIANCE, keywords=[make_keyword()]
    )
    changed = make_article(title="Sleep of shift workers", abstract=SLEEP)
    update_articles([kept.pk, changed.pk])
    expected = sorted(
        ArticleTopic.objects.values_list("article_id", "concept__key", "weight", "fields")
    )
    found: list[str] = []
    candidates = weighting.candidates

    def counting(text):
        found.append(text)
        return candidates(text)

    monkeypatch.setattr(weighting, "candidates", counting)
    term = kept.keywords.get().term
    prepared = store.PreparedMentions(
        [
            weighting.RecordText("Therapeutic alliance ruptures", ALLIANCE, [term], []),
            # Not what is stored: the record's mentions are found again.
            weighting.RecordText("Sleep of shift workers.", SLEEP, [], []),
        ]
    )
    try:
        prepared.publish()
        assert len(prepared.found()) == 2
        found.clear()
        ArticleTopic.objects.all().delete()
        assert update_articles([kept.pk, changed.pk]) == 2
    finally:
        prepared.close()
    assert found == ["Sleep of shift workers", SLEEP]
    assert store._published == []
    assert sorted(
        ArticleTopic.objects.values_list("article_id", "concept__key", "weight", "fields")
    ) == [row for row in expected if row[0] in (kept.pk, changed.pk)]
