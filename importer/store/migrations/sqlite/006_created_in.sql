-- Which import created each row, kept on the row itself: created_in is
-- the change set (migration 003) of the import or undo that inserted it,
-- NULL for a row inserted before this migration (whose import recorded it
-- one by one). An import that creates a million rows then writes a number
-- into each of them instead of a million change records; the rows an
-- import created are its rows with its number, together with the records
-- of any later import that removed some of them, which keep the removed
-- row's created_in. A review, which inserts nothing, still records the
-- rows it would create one by one. migrations/postgres holds the same.

-- +goose Up
ALTER TABLE areas ADD COLUMN created_in INTEGER;
ALTER TABLE departments ADD COLUMN created_in INTEGER;
ALTER TABLE designations ADD COLUMN created_in INTEGER;
ALTER TABLE employees ADD COLUMN created_in INTEGER;
ALTER TABLE schedules ADD COLUMN created_in INTEGER;
ALTER TABLE drivers ADD COLUMN created_in INTEGER;
ALTER TABLE car_assignments ADD COLUMN created_in INTEGER;

ALTER TABLE import_changes ADD COLUMN created_in INTEGER;

-- The removed records of the rows one import created: few, so the index
-- leaves out every other record.
CREATE INDEX import_changes_created_in ON import_changes (created_in, step_no)
    WHERE created_in IS NOT NULL;
