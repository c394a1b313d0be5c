-- People and access (contract section 9). Secrets are kept only as
-- hashes: a password as its argon2id hash (empty for a user who signs in
-- only through single sign-on), a session id or API token as its SHA-256.
-- Removing a user removes their sessions and tokens. Failed sign-ins are
-- counted per name, whether anyone has it or not, so that the lockout
-- tells nothing of which names exist. Times are text as imports keep them.
-- A cancel asked of another instance says who asked in
-- cancel_requested_by.

-- +goose Up
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_name);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    hash         TEXT NOT NULL UNIQUE,
    user_name    TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL DEFAULT ''
);

CREATE INDEX api_tokens_user ON api_tokens (user_name);

CREATE TABLE sign_in_failures (
    name     TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at  TEXT NOT NULL
);

ALTER TABLE imports ADD COLUMN cancel_requested_by TEXT NOT NULL DEFAULT '';

