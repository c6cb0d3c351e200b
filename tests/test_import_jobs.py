"""Tests for catalogue.importer.jobs: imports as background jobs on django-tasks' database backend.

The worker is django-tasks-db's own (`manage.py db_worker`): in this process (its --batch mode)
for most tests, and as a real process that is killed (-9) or stopped (SIGTERM) mid-import.
"""

from unittest import mock

import pytest

pytestmark = pytest.mark.django_db


def run_jobs() -> None:
    """Run every queued job with django-tasks-db's worker, in this process, then return."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    # The worker closes "old" connections between tasks: a test's transaction is not one.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        worker.run()
