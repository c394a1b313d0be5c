-- The company data the importer fills. Codes and IDs are text: a workbook's
-- "007" is not the number 7. Dates are YYYY-MM-DD and times HH:MM text, so
-- that both databases store and compare them the same way. This is the
-- schema of migrations/sqlite in PostgreSQL's words: change both together.
-- SQLite clusters the company tables on their key (WITHOUT ROWID), a clause
-- PostgreSQL has no equivalent of; the primary keys are the same.

-- +goose Up
CREATE TABLE areas (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE departments (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    area_code TEXT
);

CREATE TABLE designations (
    code  TEXT PRIMARY KEY,
    title TEXT NOT NULL
);

CREATE TABLE employees (
    employee_id      TEXT PRIMARY KEY,
    full_name        TEXT NOT NULL,
    email            TEXT NOT NULL UNIQUE,
    phone            TEXT,
    department_code  TEXT NOT NULL,
    designation_code TEXT NOT NULL,
    area_code        TEXT,
    joining_date     TEXT
);

CREATE TABLE schedules (
    employee_id TEXT NOT NULL,
    date        TEXT NOT NULL,
    shift_start TEXT NOT NULL,
    shift_end   TEXT NOT NULL,
    PRIMARY KEY (employee_id, date, shift_start)
);

CREATE TABLE drivers (
    employee_id    TEXT PRIMARY KEY,
    license_no     TEXT NOT NULL UNIQUE,
    license_expiry TEXT NOT NULL
);

CREATE TABLE car_assignments (
    plate_no           TEXT PRIMARY KEY,
    car_model          TEXT,
    seats              INTEGER,
    driver_employee_id TEXT NOT NULL,
    assigned_from      TEXT
);

-- One row per upload. The status column holds the import's last snapshot
-- as JSON (steps, counts, warnings): it is written when the import starts
-- and ends, and read by the history and status pages.
CREATE TABLE imports (
    id          TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL
);

CREATE INDEX imports_created ON imports (created_at);

CREATE TABLE import_problems (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    sheet     TEXT NOT NULL,
    row_no    INTEGER NOT NULL,
    col       TEXT NOT NULL,
    value     TEXT NOT NULL,
    message   TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
