-- What each import changed (or, for a review, would change): one row per
-- row created, updated or removed, written in the import's own
-- transaction, before its merge. They are the import's change list and
-- all an undo needs. A row is named by its key (key_1..key_3, the sheet's
-- key fields in order; '' past the key's width) and its other fields are
-- kept by position (the sheet's non-key fields in order): old_N as they
-- were before the import (updated, removed rows), new_N as the import
-- left them (created, updated rows). step_no is the step's place in the
-- import, so the list comes in step order. migrations/sqlite holds the
-- same table.

-- +goose Up
CREATE TABLE import_changes (
    import_id TEXT NOT NULL,
    step_no   INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    key_1     TEXT NOT NULL,
    key_2     TEXT NOT NULL,
    key_3     TEXT NOT NULL,
    old_1 TEXT, old_2 TEXT, old_3 TEXT, old_4 TEXT, old_5 TEXT, old_6 TEXT, old_7 TEXT,
    new_1 TEXT, new_2 TEXT, new_3 TEXT, new_4 TEXT, new_5 TEXT, new_6 TEXT, new_7 TEXT,
    PRIMARY KEY (import_id, step_no, kind, key_1, key_2, key_3)
);

-- The import that confirmed a review (also in its status): a column, so
-- that a review is confirmed at most once by a conditional update.
ALTER TABLE imports ADD COLUMN confirmed_in TEXT;
