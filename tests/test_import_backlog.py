"""Tests for catalogue.importer.backlog: a big import's search index and topics after its commit.

On PostgreSQL an import that is not inside a transaction of its caller commits its records,
then indexes them for search and fingerprints them for research topics in batches, and
reports done only after: these tests run outside a test transaction (transaction=True) for
that reason. Inside a caller's transaction (and on SQLite) an import works as before.
"""

import logging
import threading
import time
from collections import Counter
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction

from catalogue import importer, topics
from catalogue.importer import backlog, batches, jobs, progress
from catalogue.models import (
    Article,
    ArticleTopic,
    ImportBatch,
    ImportJob,
    ImportStatus,
    JobKind,
    JobState,
    TopicConcept,
)
from catalogue.search import index as search_index
from catalogue.topics import store
from tests.test_import_jobs import make_upload, run_jobs, synthetic_bib
from tests.test_search import run as search

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def indexed_ids() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT article_id FROM catalogue_search")
        return {pk for (pk,) in cursor.fetchall()}


def backlog_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT batch_id, kind, article_ids FROM catalogue_import_backlog ORDER BY id"
        )
        return cursor.fetchall()


def fingerprinted(monkeypatch) -> list[int]:
    """Record the ids research topics are asked to fingerprint (and fingerprint them)."""
    seen: list[int] = []
    real = topics.update_articles

    def recording(ids):
        ids = list(ids)
        seen.extend(ids)
        return real(ids)

    monkeypatch.setattr(topics, "update_articles", recording)
    return seen


def import_file(entries: int, *, seed: str = "a") -> ImportBatch:
    return importer.run_import(data=synthetic_bib(entries, seed=seed), filename=f"{seed}.bib")


def test_an_import_indexes_and_fingerprints_its_records_after_its_commit(monkeypatch):
    seen = fingerprinted(monkeypatch)
    in_transaction = []
    refresh, fingerprint = search_index.refresh_search_index, topics.update_articles

    def working(kind, work):
        def recording(ids):
            # The work runs in a transaction of its own, after the import's commit.
            assert connection.in_atomic_block
            in_transaction.append((kind, len(ids), Article.objects.filter(pk__in=ids).count()))
            return work(ids)

        return recording

    monkeypatch.setattr(search_index, "refresh_search_index", working("search", refresh))
    monkeypatch.setattr(topics, "update_articles", working("topics", fingerprint))
    monkeypatch.setattr(backlog, "BATCH", 7)

    batch = import_file(30)

    ids = set(Article.objects.values_list("pk", flat=True))
    assert (batch.status, batch.created_count, len(ids)) == (ImportStatus.COMPLETED, 30, 30)
    assert indexed_ids() == ids
    assert sorted(seen) == sorted(ids)
    assert backlog_rows() == []
    # 7 articles a transaction (5 batches of each kind: the search index's and topics' side
    # by side); every article counted by the work existed (committed) when its batch ran.
    assert sorted(in_transaction) == [("search", n, n) for n in (2, 7, 7, 7, 7)] + [
        ("topics", n, n) for n in (2, 7, 7, 7, 7)
    ]
    result = search("study number 12 things")
    assert [article.title for article in result.articles] == ["A study number 12 of things a"]


def test_the_commit_leaves_the_work_in_the_backlog_until_it_is_done(monkeypatch):
    """What a worker killed right after the commit leaves: the next import does the work."""
    monkeypatch.setattr(backlog, "finish_after_commit", lambda **kwargs: True)

    first = import_file(12, seed="k")

    ids = sorted(Article.objects.values_list("pk", flat=True))
    assert first.status == ImportStatus.COMPLETED
    assert indexed_ids() == set()
    assert backlog_rows() == [(first.pk, "search", ids), (first.pk, "topics", ids)]
    assert backlog.pending(first.pk) == 24
    assert search("things k").total == 0

    monkeypatch.undo()
    second = import_file(3, seed="m")

    assert indexed_ids() == set(Article.objects.values_list("pk", flat=True))
    assert len(indexed_ids()) == 15
    assert backlog_rows() == []
    assert backlog.pending(second.pk) == 0
    assert search("things k").total == 12


def test_a_failed_import_queues_nothing():
    first = import_file(5, seed="f")
    before = indexed_ids()
    data = synthetic_bib(4, seed="g")

    with (
        mock.patch.object(importer.writing, "insert_values", side_effect=IntegrityError("boom")),
        pytest.raises(IntegrityError),
    ):
        importer.run_import(data=data, filename="g.bib")

    assert first.created_count == 5
    assert Article.objects.count() == 5
    assert indexed_ids() == before
    assert backlog_rows() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search_pending")
        assert cursor.fetchone()[0] == 0


def test_inside_a_callers_transaction_the_import_indexes_at_that_commit():
    assert not backlog.defers() or not connection.in_atomic_block
    with transaction.atomic():
        assert backlog.defers() is False
        batch = import_file(6, seed="t")
        assert backlog_rows() == []

    assert batch.created_count == 6
    assert indexed_ids() == set(Article.objects.values_list("pk", flat=True))


def test_a_job_whose_work_after_the_commit_failed_is_run_again_to_finish(monkeypatch, client):
    # (A test outside a transaction starts without the migrations' groups.)
    librarian = User.objects.create_superuser("lib")
    batch = make_upload(data=synthetic_bib(9, seed="j"), user=librarian)
    run_jobs()
    importer.confirm_import(batch=ImportBatch.objects.get(pk=batch.pk), user=librarian)
    drain = backlog.drain
    monkeypatch.setattr(backlog, "drain", mock.Mock(side_effect=DatabaseError("gone")))

    run_jobs()

    batch.refresh_from_db()
    job = ImportJob.objects.get(batch=batch, kind=JobKind.IMPORT)
    # The records are committed (the import is complete), their indexing is not.
    assert batch.status == ImportStatus.COMPLETED
    assert Article.objects.count() == 9
    assert indexed_ids() == set()
    assert (job.state, job.error) == (JobState.FAILED, jobs._BACKLOG_FAILED)
    assert progress.describe_job(job).can_retry
    client.force_login(librarian)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert (
        '<p class="errorlist" role="alert">The records are imported, but indexing them for '
        "search failed (a database error, logged): run it again to finish.</p>"
    ) in page
    assert f'action="/import/{batch.pk}/run-again/"' in page

    monkeypatch.setattr(backlog, "drain", drain)
    importer.rerun_job(batch=batch, user=librarian)
    run_jobs()

    job.refresh_from_db()
    assert (job.state, job.stage, job.attempt) == (JobState.SUCCEEDED, "done", 2)
    assert indexed_ids() == set(Article.objects.values_list("pk", flat=True))
    assert backlog_rows() == []
    assert "indexing them for search" not in client.get(batch.get_absolute_url()).content.decode()
    # Nothing left: running it again is refused as for any completed import.
    with pytest.raises(importer.ImportStateError, match="is completed: it has no job to run"):
        importer.rerun_job(batch=batch, user=librarian)


def test_a_job_stopped_while_indexing_says_the_records_are_imported():
    librarian = User.objects.create_user("lib")
    batch = make_upload(user=librarian)
    ImportJob.objects.filter(batch=batch).update(
        state=JobState.RUNNING,
        stage=backlog.STAGE,
        heartbeat="2020-01-01T00:00:00Z",
        worker="another-host:7:123",
    )

    health = progress.describe_job(ImportJob.objects.get(batch=batch))

    assert (health.phase, health.can_retry) == ("stalled", True)
    assert "after the records were imported, while it indexed them for search" in health.message


def test_an_import_into_an_empty_catalogue_gives_the_planner_its_tables_sizes():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalogue_article, catalogue_authorship")
    import_file(40, seed="p")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN "
            "('catalogue_article', 'catalogue_authorship') ORDER BY relname"
        )
        assert cursor.fetchall() == [("catalogue_article", 40.0), ("catalogue_authorship", 120.0)]


def test_a_reimport_analyses_an_article_table_whose_statistics_say_empty():
    import_file(200, seed="r")
    with connection.cursor() as cursor:
        # As before autovacuum came by: statistics of an empty table, 200 rows in it.
        cursor.execute("UPDATE pg_class SET reltuples = 0 WHERE relname = 'catalogue_article'")

    again = import_file(200, seed="r")

    assert (again.created_count, again.duplicate_count) == (0, 200)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalogue_article'")
        assert cursor.fetchone()[0] == 200.0


def test_a_failed_search_batch_keeps_its_row_and_the_next_import_finishes_it(monkeypatch):
    monkeypatch.setattr(backlog, "BATCH", 5)
    real, calls = search_index.refresh_search_index, []

    def failing(ids):
        calls.append(list(ids))
        if ids == calls[0] or len(calls) > 2:
            return real(ids)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")  # the second batch taken fails

    monkeypatch.setattr(search_index, "refresh_search_index", failing)

    first = import_file(12, seed="w")

    ids = sorted(Article.objects.values_list("pk", flat=True))
    assert (first.status, first.created_count) == (ImportStatus.COMPLETED, 12)
    # The failed batch's work is undone with its row's deletion: its row stays. The other
    # worker may have indexed the third batch before the failure stopped both; every article
    # is indexed or still queued, and topics' rows were all done or are still queued.
    failed = calls[1]
    left = [row for row in backlog_rows() if row[1] == "search"]
    assert (first.pk, "search", failed) in left
    queued = {pk for _, _, row_ids in left for pk in row_ids}
    assert indexed_ids() | queued == set(ids)
    assert not indexed_ids() & queued
    assert calls[0] == ids[:5] and set(indexed_ids()) >= set(ids[:5])

    monkeypatch.setattr(search_index, "refresh_search_index", real)
    second = import_file(2, seed="n")

    assert second.created_count == 2
    assert indexed_ids() == set(Article.objects.values_list("pk", flat=True))
    assert backlog_rows() == []
    assert search("things w").total == 12


def test_the_two_workers_share_what_is_left_of_either_kind(monkeypatch):
    """The topics worker, done with its rows, takes search rows the other has not taken."""
    monkeypatch.setattr(backlog, "BATCH", 4)
    real = search_index.refresh_search_index
    helped = threading.Event()
    workers: list[tuple[str, list[int]]] = []

    def refresh(ids):
        name = threading.current_thread().name
        workers.append((name, list(ids)))
        if name == "MainThread":
            helped.set()
        else:
            # The search worker holds its first row until the other worker has taken another.
            assert helped.wait(timeout=30)
        return real(ids)

    monkeypatch.setattr(search_index, "refresh_search_index", refresh)
    fingerprint, fingerprinters = topics.update_articles, []

    def update_articles(ids):
        fingerprinters.append(threading.current_thread().name)
        return fingerprint(ids)

    monkeypatch.setattr(topics, "update_articles", update_articles)

    batch = import_file(12, seed="s")

    ids = sorted(Article.objects.values_list("pk", flat=True))
    assert batch.created_count == 12
    assert {name for name, _ in workers} == {"MainThread", "import-backlog-search"}
    # The search worker held its first row until then: the topics were all the other's.
    assert fingerprinters == ["MainThread"] * 3
    assert sorted(pk for _, batch_ids in workers for pk in batch_ids) == ids
    assert indexed_ids() == set(ids)
    assert backlog_rows() == []


def test_the_search_worker_done_with_its_rows_fingerprints_what_is_left(monkeypatch):
    """Topics' rows are shared too: two fingerprinting transactions at once write their
    concepts in one order (catalogue.topics.store._concepts)."""
    monkeypatch.setattr(backlog, "BATCH", 4)
    fingerprint = topics.update_articles
    helped = threading.Event()
    fingerprinters: list[tuple[str, list[int]]] = []

    def update_articles(ids):
        ids = list(ids)
        name = threading.current_thread().name
        fingerprinters.append((name, ids))
        if name == "MainThread" and len(fingerprinters) == 1:
            # The topics worker holds its first row until the other has taken another.
            assert helped.wait(timeout=30)
        elif name != "MainThread":
            helped.set()
        return fingerprint(ids)

    monkeypatch.setattr(topics, "update_articles", update_articles)

    batch = import_file(12, seed="t")

    ids = sorted(Article.objects.values_list("pk", flat=True))
    assert batch.created_count == 12
    assert {name for name, _ in fingerprinters} == {"MainThread", "import-backlog-search"}
    assert fingerprinters[0] == ("MainThread", ids[:4])
    assert sorted(pk for _, batch_ids in fingerprinters for pk in batch_ids) == ids
    assert set(ArticleTopic.objects.values_list("article_id", flat=True)) == set(ids)
    assert indexed_ids() == set(ids)
    assert backlog_rows() == []


def test_two_transactions_labelling_the_same_concepts_wait_rather_than_deadlock(monkeypatch):
    """The second waits for the first's labels, keeps them, and both commit."""
    monkeypatch.setattr(backlog, "finish_after_commit", lambda **kwargs: True)
    import_file(8, seed="x")
    store.refresh()
    first, second = importer.run_import(
        data=(
            b"@article{p1, title = {Things of Study Number}, year = {2001}, "
            b"abstract = {Findings and Words about the Study.}}\n"
            b"@article{p2, title = {THINGS OF STUDY NUMBER}, year = {2002}, "
            b"abstract = {FINDINGS AND WORDS ABOUT THE STUDY.}}\n"
        ),
        filename="p.bib",
    ).plan.items
    # Concepts a refresh counted that no fingerprint has labelled yet.
    TopicConcept.objects.update(label="")
    ArticleTopic.objects.filter(article_id__in=[first.article_id, second.article_id]).delete()
    labelled, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def fingerprinting(pk: int, hold: bool) -> None:
        try:
            with transaction.atomic():
                fingerprint = store.update_articles([pk])
                assert fingerprint == 1
                if hold:
                    labelled.set()
                    assert release.wait(timeout=30)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    holder = threading.Thread(target=fingerprinting, args=(first.article_id, True))
    holder.start()
    assert labelled.wait(timeout=30)
    waiter = threading.Thread(target=fingerprinting, args=(second.article_id, False))
    waiter.start()
    # The second waits for a row lock the first holds (a concept's label), then goes on.
    for _ in range(300):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    else:
        pytest.fail("the second transaction never waited for the first")
    release.set()
    holder.join(timeout=30)
    waiter.join(timeout=30)

    assert errors == []
    labels = dict(TopicConcept.objects.values_list("key", "label"))
    # The first's spellings kept (the second's are "THINGS" and "WORDS").
    assert (labels["thing"], labels["word"]) == ("things", "words")
    assert ArticleTopic.objects.filter(article_id=second.article_id).exists()
    # The imports' own work, left in the backlog above (the table outlives the test's flush).
    backlog.drain()
    assert backlog_rows() == []


def test_the_new_records_mentions_are_found_while_the_import_writes(monkeypatch):
    """A thread finds the new records' mentions during the write; after the commit topics
    takes them (finding none again) and stores the fingerprints it would have without them,
    an existing keyword's stored spelling included."""
    from catalogue.topics import weighting

    existing = importer.run_import(
        data=b"@article{k0, title = {Seed}, year = {2000}, keywords = {Machine Learning}}\n",
        filename="k.bib",
    )
    assert existing.created_count == 1
    found: list[str] = []
    candidates = weighting.candidates

    def counting(text):
        found.append(threading.current_thread().name)
        return candidates(text)

    monkeypatch.setattr(weighting, "candidates", counting)
    data = synthetic_bib(12, seed="q").replace(b"method ", b"machine learning, method ")

    batch = importer.run_import(data=data, filename="q.bib")

    ids = [item.article_id for item in batch.plan.items]
    assert batch.created_count == 12
    # Title and abstract of each new record, all in the preparing thread.
    assert Counter(found) == {"topics-prepare": 24}
    assert store._published == []
    stored = sorted(
        ArticleTopic.objects.filter(article_id__in=ids).values_list(
            "article_id", "concept__key", "concept__label", "weight", "unit", "fields"
        )
    )
    assert ("machine learning", "Machine Learning") in {row[1:3] for row in stored}
    found.clear()
    ArticleTopic.objects.filter(article_id__in=ids).delete()
    store.update_articles(ids)
    assert Counter(found) == {"MainThread": 24}
    assert (
        sorted(
            ArticleTopic.objects.filter(article_id__in=ids).values_list(
                "article_id", "concept__key", "concept__label", "weight", "unit", "fields"
            )
        )
        == stored
    )


def test_an_import_failing_after_its_mentions_were_prepared_leaves_nothing(monkeypatch):
    before = set(Article.objects.values_list("pk", flat=True))
    write_plan = batches.write_plan

    def failing(**kwargs):
        write_plan(**kwargs)
        raise RuntimeError("failed after writing")

    monkeypatch.setattr(batches, "write_plan", failing)

    with pytest.raises(RuntimeError, match="failed after writing"):
        import_file(20, seed="z")

    assert set(Article.objects.values_list("pk", flat=True)) == before
    assert backlog_rows() == []
    assert store._published == []
    assert not [t for t in threading.enumerate() if t.name == "topics-prepare"]
    assert ImportBatch.objects.get().status == ImportStatus.FAILED


def _raise_deadlock() -> None:
    """Fail the current statement as PostgreSQL does a deadlock's victim (SQLSTATE 40P01)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"
        )


def test_a_batch_rolled_back_by_a_deadlock_is_taken_again(monkeypatch, caplog):
    monkeypatch.setattr(backlog, "BATCH", 5)
    real, calls = search_index.refresh_search_index, []

    def deadlocking(ids):
        calls.append(list(ids))
        if len(calls) == 1:
            _raise_deadlock()
        return real(ids)

    monkeypatch.setattr(search_index, "refresh_search_index", deadlocking)
    caplog.set_level(logging.INFO, logger=backlog.logger.name)

    batch = import_file(8, seed="d")

    ids = sorted(Article.objects.values_list("pk", flat=True))
    assert batch.created_count == 8
    assert calls.count(calls[0]) == 2  # rolled back, then taken again
    assert sorted(pk for pk in {pk for call in calls for pk in call}) == ids
    assert indexed_ids() == set(ids)
    assert backlog_rows() == []
    assert "rolled back by a deadlock; taken again" in caplog.text


def test_a_topics_batch_rolled_back_by_a_deadlock_is_taken_again(monkeypatch, caplog):
    """Either worker may fingerprint now: a topics batch rolled back by a deadlock is taken
    again too (its row kept by the rollback), and every record ends fingerprinted."""
    monkeypatch.setattr(backlog, "BATCH", 5)
    fingerprint, calls = topics.update_articles, []

    def deadlocking(ids):
        ids = list(ids)
        calls.append(ids)
        fingerprint(ids)
        if len(calls) == 1:
            _raise_deadlock()
        return len(ids)

    monkeypatch.setattr(topics, "update_articles", deadlocking)
    caplog.set_level(logging.INFO, logger=backlog.logger.name)

    batch = import_file(8, seed="y")

    ids = sorted(Article.objects.values_list("pk", flat=True))
    assert batch.created_count == 8
    assert calls.count(calls[0]) == 2  # rolled back, then taken again
    assert sorted({pk for call in calls for pk in call}) == ids
    assert set(ArticleTopic.objects.values_list("article_id", flat=True)) == set(ids)
    assert indexed_ids() == set(ids)
    assert backlog_rows() == []
    assert "A backlog batch of topics was rolled back by a deadlock; taken again" in caplog.text


def test_a_deadlock_again_and_again_is_given_up(monkeypatch):
    monkeypatch.setattr(backlog, "BATCH", 5)
    monkeypatch.setattr(backlog, "DEADLOCK_RETRIES", 2)
    calls = []

    def deadlocking(ids):
        calls.append((threading.current_thread().name, list(ids)))
        with connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"
            )

    monkeypatch.setattr(search_index, "refresh_search_index", deadlocking)

    batch = import_file(4, seed="e")

    assert batch.status == ImportStatus.COMPLETED
    # A worker tries the row once and again twice, then gives up, and the other takes no new
    # row (it may have tried the same row in between, as often at most); the row stays.
    tries = Counter(name for name, _ in calls)
    assert max(tries.values()) == 3
    assert {tuple(ids) for _, ids in calls} == {
        tuple(Article.objects.order_by("pk").values_list("pk", flat=True))
    }
    assert indexed_ids() == set()
    assert [row[1] for row in backlog_rows()] == ["search"]
