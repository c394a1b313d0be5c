-- What each import changed (or, for a review, would change): one row per
-- row created, updated or removed, written in the import's own
-- transaction, before its merge. They are the import's change list and
-- all an undo needs. A row is named by its key (key_1..key_3, the sheet's
-- key fields in order; '' past the key's width) and its other fields are
-- kept by position (the sheet's non-key fields in order): old_N as they
-- were before the import (updated, removed rows), new_N as the import
-- left them (updated rows; a created row is its key alone, its values
-- being in the company table). step_no is the step's place in the
-- import, so the list comes in step order. The records of one import are
-- a change set, numbered: a number, not the import's 26-character id, in
-- each of the hundreds of thousands of rows a big import records.
-- migrations/postgres holds the same tables.

-- +goose Up
CREATE TABLE import_change_sets (
    change_set INTEGER PRIMARY KEY,
    import_id  TEXT NOT NULL UNIQUE
);

CREATE TABLE import_changes (
    change_set INTEGER NOT NULL,
    step_no   INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    key_1     TEXT NOT NULL,
    key_2     TEXT NOT NULL,
    key_3     TEXT NOT NULL,
    old_1 TEXT, old_2 TEXT, old_3 TEXT, old_4 TEXT, old_5 TEXT, old_6 TEXT, old_7 TEXT,
    new_1 TEXT, new_2 TEXT, new_3 TEXT, new_4 TEXT, new_5 TEXT, new_6 TEXT, new_7 TEXT,
    PRIMARY KEY (change_set, step_no, kind, key_1, key_2, key_3)
) WITHOUT ROWID;

-- The import that confirmed a review (also in its status): a column, so
-- that a review is confirmed at most once by a conditional update.
ALTER TABLE imports ADD COLUMN confirmed_in TEXT;

-- When an upload was saved: one saved a moment ago, whose import is being
-- queued, is not taken for an orphan by a sweep (NULL: saved before this).
ALTER TABLE import_uploads ADD COLUMN saved_at TEXT;
