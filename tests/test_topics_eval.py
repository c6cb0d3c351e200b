"""bench/topics_eval.py's held-out evaluation: the split, the scoring, the grid search."""

import importlib.util
import sys

import pytest
from django.conf import settings

from catalogue.topics import weighting


@pytest.fixture(scope="module")
def evaluation():
    """The benchmark script as a module (bench/ is not a package)."""
    path = settings.BASE_DIR / "bench" / "topics_eval.py"
    spec = importlib.util.spec_from_file_location("topics_eval", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["topics_eval"] = module  # its dataclasses look it up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["topics_eval"]


COLD = "Cold chain logistics. Cold chain logistics. Cold chain logistics."
PHONE = "Mobile phone reminders. Mobile phone reminders. Mobile phone reminders."


@pytest.fixture
def records(evaluation):
    """Four records whose keyword is in the title once and whose abstract repeats another
    phrase three times; each phrase is in two records, so both are equally rare. Only a title
    counting more than three abstract mentions brings the keyword to the top."""
    record = evaluation.WosRecord
    return [
        record(title="Malaria vaccine for children", abstract=COLD, keywords=["Malaria vaccines"]),
        record(title="Malaria vaccine in Ghana", abstract=PHONE, keywords=["malaria vaccine"]),
        record(
            title="Tuberculosis screening in prisons",
            abstract=COLD,
            keywords=["tuberculosis screening"],
        ),
        record(
            title="Tuberculosis screening of migrants",
            abstract=PHONE,
            keywords=["Tuberculosis Screening"],
        ),
    ]


def texts_and_statistics(evaluation, records):
    texts = [weighting.RecordText(title=r.title, abstract=r.abstract) for r in records]
    return texts, evaluation.statistics_of(texts)


def test_the_split_is_fixed_by_its_seed_and_halves_every_record(evaluation):
    assert evaluation.split(10, seed=19) == ([2, 3, 5, 6, 9], [0, 1, 4, 7, 8])
    assert evaluation.split(10, seed=20) == ([0, 3, 5, 7, 8], [1, 2, 4, 6, 9])
    tuning, held_out = evaluation.split(4012, seed=19)
    assert (len(tuning), len(held_out)) == (2006, 2006)
    assert sorted(tuning + held_out) == list(range(4012))
    assert evaluation.split(4012, seed=19) == (tuning, held_out)
    assert [len(half) for half in evaluation.split(7, seed=1)] == [3, 4]  # the odd one held out


def test_recall_and_precision_at_k_count_only_records_with_keywords(evaluation):
    record = evaluation.WosRecord
    records = [
        record(keywords=["Therapeutic Alliances", "Dropout", "Zürich"]),
        record(keywords=[]),  # not evaluated
        record(keywords=["psychotherapy"]),
    ]
    predicted = [
        ["therapeutic alliance", "dropout", "outcome"],
        ["anything", "at", "all"],
        ["alliance", "psychotherapy", "zurich"],
    ]

    recall, precision, evaluated = evaluation.at_k(predicted, records, 2)

    # First record: 2 of its 3 keywords in its top 2; the third: 1 of 1 (at rank 2).
    assert (recall, precision, evaluated) == (3 / 4, 3 / 4, 2)
    assert evaluation.at_k(predicted, records, 1) == (1 / 4, 1 / 2, 2)


def test_constants_are_set_for_the_duration_and_restored_after_a_failure(evaluation):
    shipped = (dict(weighting.FIELD_WEIGHTS), weighting.K1, weighting.B)
    textbook = evaluation.Constants(title=2.0, k1=1.2, b=0.5, single_word=0.75, min_records=3)

    with pytest.raises(RuntimeError), evaluation.using(textbook):
        assert weighting.FIELD_WEIGHTS == {
            "title": 2.0, "abstract": 1.0, "keyword": 4.0, "subject": 1.5,
        }  # fmt: skip
        assert (weighting.K1, weighting.B) == (1.2, 0.5)
        assert (weighting.SINGLE_WORD_FACTOR, weighting.MIN_RECORDS) == (0.75, 3)
        raise RuntimeError

    assert (dict(weighting.FIELD_WEIGHTS), weighting.K1, weighting.B) == shipped
    assert (
        evaluation.Constants(
            title=shipped[0]["title"],
            k1=shipped[1],
            b=shipped[2],
            single_word=weighting.SINGLE_WORD_FACTOR,
            min_records=weighting.MIN_RECORDS,
            abstract=shipped[0]["abstract"],
            keyword=shipped[0]["keyword"],
            subject=shipped[0]["subject"],
        )
        == evaluation.SHIPPED
    )
    assert str(textbook) == "title 2, k1 1.2, b 0.5, single words x0.75, min records 3"


def test_scoring_uses_the_constants_given(evaluation, records):
    texts, stats = texts_and_statistics(evaluation, records)
    constants = evaluation.Constants

    def recall(title, k1=1.2, b=0.75):
        return evaluation.score(texts, records, range(4), stats, constants(title, k1, b), 1)

    # Title 1 or 2: three abstract mentions win; 3: a tie, broken by key ("cold chain
    # logistic" and "malaria vaccine" come before the other), 4 and more: the title wins.
    assert recall(1) == (0.0, 0.0, 4)
    assert recall(2) == (0.0, 0.0, 4)
    assert recall(3) == (0.25, 0.25, 4)
    assert recall(4) == (1.0, 1.0, 4)
    assert recall(6, k1=6) == (1.0, 1.0, 4)


def test_the_grid_search_chooses_the_first_best_point_on_the_tuning_records(evaluation, records):
    texts, stats = texts_and_statistics(evaluation, records)

    chosen, recall = evaluation.tune(texts, records, [0, 1, 2, 3], stats, 1)

    # The grid's order is title, then k1, then b: the first point with recall 1.
    assert (chosen, recall) == (evaluation.Constants(title=4.0, k1=1.2, b=0.5), 1.0)
    assert len(evaluation.grid()) == 90


def test_the_held_out_evaluation_reports_every_row_for_every_seed(evaluation, records, capsys):
    rows = evaluation.held_out(records, seeds=[0, 1], k=1)

    assert rows == {
        "chosen on the tuning half": [(1.0, 1.0), (1.0, 1.0)],
        "shipped": [(1.0, 1.0), (1.0, 1.0)],
        "textbook, equal fields": [(0.0, 0.0), (0.0, 0.0)],
        "textbook, title 2": [(0.0, 0.0), (0.0, 0.0)],
        "TF-IDF single words": [(0.0, 0.0), (0.0, 0.0)],
    }
    printed = capsys.readouterr().out
    assert "2 splits (seeds 0, 1)" in printed
    assert "  seed 0: chosen title 4, k1 1.2, b 0.5 (tuning recall@1 1.000)" in printed
    assert "    shipped                      recall@1 1.000  precision@1 1.000  x- / x-" in printed
    assert "recall@1 1.000 ± 0.000 (1.000-1.000)" in printed


def test_a_best_point_on_the_grids_edge_is_followed_past_it_while_it_improves(evaluation):
    constants = evaluation.Constants
    tried = []

    def evaluate(point):  # best at k1 40 and b 0: past both edges
        tried.append((point.k1, point.b))
        return -abs(point.k1 - 40) - point.b

    best, recall = evaluation.past_the_edges(constants(title=3.0, k1=10.0, b=0.5), -30.5, evaluate)

    assert (best, recall) == (constants(title=3.0, k1=40.0, b=0.0), 0.0)
    # k1 20 and 40 improve, 80 does not; then b 0.25 and 0 improve, and b stops at 0.
    assert tried == [(20.0, 0.5), (40.0, 0.5), (80.0, 0.5), (40.0, 0.25), (40.0, 0.0)]
    # Not on an edge: nothing is tried.
    assert evaluation.past_the_edges(constants(3.0, 4.0, 0.75), 0.2, evaluate) == (
        constants(3.0, 4.0, 0.75),
        0.2,
    )
