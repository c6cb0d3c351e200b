"""BibTeX import: match parsed entries against the catalogue, write them in one transaction, undo.

The parser (`catalogue.formats.bibtex`) turns bytes into `Entry` objects; this package decides
what each entry is and writes the result with bulk queries:

- `sources`: reading a file or an upload within the size limit, and parsing it;
- `cleaning`, `normalise`: one entry's values made safe, and the folded keys matching compares;
- `indexes`, `matching`: what exists, and the plan of what each entry will do (`plan`);
- `writing`: the plan written in bulk (COPY on PostgreSQL, multi-row INSERTs elsewhere);
- `batches`: an import run as one locked transaction, at once or stored until confirmed, and
  the stored preview of an upload;
- `jobs`: stored imports run as background jobs (django-tasks' database backend, the worker
  `manage.py db_worker`): the preview parsed and planned once, the import after confirmation,
  a stopped job run again;
- `progress`: a running job's progress and heartbeat, and whether a job is alive;
- `permissions`: who may import, and who may confirm, cancel or undo whose import;
- `history`: snapshots of updated articles, the recorded outcome of a batch, and undo.
"""

from catalogue.importer.batches import (
    AWAITING,
    PENDING_LIFETIME,
    cancel_import,
    confirm_import,
    prepare_import,
    preview_rows,
    queue_import,
    report_row,
    run_import,
    store_preview,
)
from catalogue.importer.common import (
    BULK_BATCH_SIZE,
    CHUNK,
    FAILED,
    WARNING,
    ImportDatabaseError,
    ImportFileError,
    ImportStateError,
    Progress,
    database_errors,
)
from catalogue.importer.history import (
    KeptRecord,
    UndoSummary,
    batch_rows,
    undo_import,
    undo_summary,
)
from catalogue.importer.jobs import JobOutcome, enqueue_job, rerun_job, run_job
from catalogue.importer.matching import plan_import
from catalogue.importer.normalise import normalise_title
from catalogue.importer.permissions import (
    MANAGE_ANY_IMPORT,
    action_refusal,
    can_import,
    can_manage_any,
    import_refusal,
)
from catalogue.importer.plan import ROW_LABELS, ImportPlan, NewRow, PlanItem, ReportRow
from catalogue.importer.progress import WORKER_COMMAND, JobHealth, describe_job
from catalogue.importer.sources import check_size, human_size, max_bytes, parse_source, read_file
from catalogue.importer.writing import (
    ARTICLE_FIELDS,
    LOCK_KEY,
    insert_rows,
    insert_values,
    write_plan,
)

__all__ = [
    "ARTICLE_FIELDS",
    "AWAITING",
    "BULK_BATCH_SIZE",
    "CHUNK",
    "FAILED",
    "LOCK_KEY",
    "MANAGE_ANY_IMPORT",
    "PENDING_LIFETIME",
    "ROW_LABELS",
    "WARNING",
    "WORKER_COMMAND",
    "ImportDatabaseError",
    "ImportFileError",
    "ImportPlan",
    "ImportStateError",
    "JobHealth",
    "JobOutcome",
    "KeptRecord",
    "NewRow",
    "PlanItem",
    "Progress",
    "ReportRow",
    "UndoSummary",
    "action_refusal",
    "batch_rows",
    "can_import",
    "can_manage_any",
    "cancel_import",
    "check_size",
    "confirm_import",
    "database_errors",
    "describe_job",
    "enqueue_job",
    "human_size",
    "import_refusal",
    "insert_rows",
    "insert_values",
    "max_bytes",
    "normalise_title",
    "parse_source",
    "plan_import",
    "prepare_import",
    "preview_rows",
    "queue_import",
    "read_file",
    "report_row",
    "rerun_job",
    "run_import",
    "run_job",
    "store_preview",
    "undo_import",
    "undo_summary",
    "write_plan",
]
