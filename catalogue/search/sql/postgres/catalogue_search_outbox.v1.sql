-- The outbox of the search index, version 1: installed by migration 0027_search_outbox.
-- Every statement writing catalogue_search (the refresh, a bulk flush, a rebuild, a TRUNCATE)
-- appends the ids of the articles whose index row it inserted, updated or deleted, so that an
-- embedded index on each web node (catalogue/search/tantivy/) can apply the same changes:
-- PostgreSQL stays the source of truth, a node keeps only the last `seq` it applied.
-- `txid` lets a node re-read rows of transactions still running when it last read (a lower
-- `seq` may commit after a higher one). Nothing is written until a node's index is built
-- (`manage.py search_index build` sets `enabled`), so a catalogue without one pays one
-- lookup per statement. Rows are pruned by `search_index sync` (`pruned_through`).
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE TABLE catalogue_search_outbox (
    seq bigserial PRIMARY KEY,
    -- NULL: every article (catalogue_search was truncated).
    article_id bigint,
    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    created timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalogue_search_outbox_txid ON catalogue_search_outbox (txid);

CREATE TABLE catalogue_search_outbox_state (
    id integer PRIMARY KEY CHECK (id = 1),
    enabled boolean NOT NULL DEFAULT false,
    -- Rows up to this seq were pruned: a node behind it must rebuild its index.
    pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO catalogue_search_outbox_state (id) VALUES (1);

CREATE FUNCTION catalogue_search_outbox_write() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NOT coalesce((SELECT enabled FROM catalogue_search_outbox_state WHERE id = 1), false) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO catalogue_search_outbox (article_id) VALUES (NULL);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO catalogue_search_outbox (article_id)
        SELECT DISTINCT article_id FROM old_rows ORDER BY 1;
    ELSE
        INSERT INTO catalogue_search_outbox (article_id)
        SELECT DISTINCT article_id FROM new_rows ORDER BY 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER catalogue_search_outbox_insert AFTER INSERT ON catalogue_search
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_outbox_write();
CREATE TRIGGER catalogue_search_outbox_update AFTER UPDATE ON catalogue_search
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_outbox_write();
CREATE TRIGGER catalogue_search_outbox_delete AFTER DELETE ON catalogue_search
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_outbox_write();
CREATE TRIGGER catalogue_search_outbox_truncate AFTER TRUNCATE ON catalogue_search
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_outbox_write();
