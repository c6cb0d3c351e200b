"""The outbox (migration 0027): which articles' index rows changed since a node last read it.

A node's position is `position` (the highest seq applied), `horizon` (the oldest transaction
still running when it last read: pg_snapshot_xmin) and `recent` (the rows above the horizon it
applied). A row of a transaction that commits late may have a lower seq than rows already read:
its txid is at or above the horizon of the read that missed it, so the next read takes every row
at or above the horizon that it has not applied yet. Applying a row twice is harmless: the
article is read again as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BATCH = 50_000


@dataclass
class Position:
    """How far a node's index has followed the outbox."""

    position: int = 0
    horizon: int = 0
    # [seq, txid] of rows applied whose transaction was at or above the horizon.
    recent: list[list[int]] = field(default_factory=list)

    def recent_seqs(self) -> list[int]:
        """Return the seqs of `recent`."""
        return [seq for seq, _ in self.recent]


@dataclass
class Pending:
    """Rows to apply: (seq, article id or None for every article, txid)."""

    rows: list[tuple[int, int | None, int]]
    horizon: int
    pruned_through: int


def enable(connection) -> tuple[int, int]:
    """Start filling the outbox; return (highest seq, horizon) to build an index from."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_search_outbox_state SET enabled = true WHERE id = 1")
        cursor.execute(
            "SELECT coalesce((SELECT max(seq) FROM catalogue_search_outbox), 0), "
            "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        )
        seq, horizon = cursor.fetchone()
    return int(seq), int(horizon)


def news(position: Position) -> tuple[str, list]:
    """Return an SQL boolean expression and its parameters: whether the outbox has rows the
    node at `position` has not applied (two indexed lookups)."""
    return (
        "(EXISTS (SELECT 1 FROM catalogue_search_outbox WHERE seq > %s) "
        "OR EXISTS (SELECT 1 FROM catalogue_search_outbox WHERE txid >= %s::text::xid8 "
        "AND seq <= %s AND seq <> ALL(%s::bigint[])))",
        [position.position, str(position.horizon), position.position, position.recent_seqs()],
    )


def has_news(connection, position: Position) -> bool:
    """Return whether the outbox has rows the node has not applied (one indexed query)."""
    sql, params = news(position)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return bool(cursor.fetchone()[0])


def pending(connection, position: Position, *, limit: int = BATCH) -> Pending:
    """Return up to `limit` rows after `position` (and the late ones), in seq order."""
    with connection.cursor() as cursor:
        # The horizon first: any row invisible to the reads below has a txid at or above it.
        cursor.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, pruned_through "
            "FROM catalogue_search_outbox_state WHERE id = 1"
        )
        horizon, pruned = cursor.fetchone()
        cursor.execute(
            "(SELECT seq, article_id, txid::text::bigint FROM catalogue_search_outbox "
            "WHERE seq > %s ORDER BY seq LIMIT %s) UNION ALL "
            "(SELECT seq, article_id, txid::text::bigint FROM catalogue_search_outbox "
            "WHERE txid >= %s::text::xid8 AND seq <= %s AND seq <> ALL(%s::bigint[])) "
            "ORDER BY 1",
            [
                position.position,
                limit,
                str(position.horizon),
                position.position,
                position.recent_seqs(),
            ],
        )
        rows = [(int(seq), article_id, int(txid)) for seq, article_id, txid in cursor.fetchall()]
    return Pending(rows=rows, horizon=int(horizon), pruned_through=int(pruned))


def advance(position: Position, batch: Pending, horizon: int) -> Position:
    """Return the position after applying `batch` (read at or above `horizon`)."""
    top = max([position.position, *(seq for seq, _, _ in batch.rows)])
    recent = {seq: txid for seq, txid in position.recent if txid >= horizon}
    for seq, _, txid in batch.rows:
        if txid >= horizon:
            recent[seq] = txid
    return Position(
        position=top,
        horizon=horizon,
        recent=sorted([seq, txid] for seq, txid in recent.items()),
    )


def prune(connection, *, keep_hours: int) -> int:
    """Delete rows older than `keep_hours` of finished transactions; return how many.

    A node whose position is below the pruned seqs cannot catch up and must be rebuilt
    (catalogue_search_outbox_state.pruned_through says how far rows are gone).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH gone AS (DELETE FROM catalogue_search_outbox "
            "WHERE created < now() - make_interval(hours => %s) "
            "AND txid < pg_snapshot_xmin(pg_current_snapshot()) RETURNING seq) "
            "UPDATE catalogue_search_outbox_state SET pruned_through = "
            "greatest(pruned_through, coalesce((SELECT max(seq) FROM gone), 0)) "
            "WHERE id = 1 RETURNING (SELECT count(*) FROM gone)",
            [keep_hours],
        )
        return int(cursor.fetchone()[0])


def status(connection) -> dict:
    """Return the outbox's size, highest seq, pruned seq and whether it is filled."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT enabled, pruned_through, (SELECT count(*) FROM catalogue_search_outbox), "
            "(SELECT coalesce(max(seq), 0) FROM catalogue_search_outbox) "
            "FROM catalogue_search_outbox_state WHERE id = 1"
        )
        enabled, pruned, rows, top = cursor.fetchone()
    return {"enabled": enabled, "pruned_through": pruned, "rows": rows, "last_seq": top}
