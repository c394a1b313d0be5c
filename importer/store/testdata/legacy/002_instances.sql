-- Several instances on one PostgreSQL database share the imports: the
-- upload itself lives in the database (in chunks), and the instance that
-- runs an import says so (owner) and shows it is alive (heartbeat_at), so
-- that the others can tell a dead one and mark its import interrupted.
-- A cancel asked of another instance waits in cancel_requested. An upload
-- is saved before its import is queued, so it has no foreign key.
ALTER TABLE imports ADD COLUMN owner TEXT;

ALTER TABLE imports ADD COLUMN heartbeat_at TEXT;

ALTER TABLE imports ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;

CREATE TABLE import_uploads (
    import_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (import_id, seq)
);
