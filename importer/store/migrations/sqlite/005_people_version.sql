-- A number that moves whenever somebody may have lost access: a session
-- or API token ended, a user removed, a role changed, whoever did it (the
-- server, another instance, the command line). An open event stream
-- checks its user again only when the number has moved, so that a
-- thousand watchers cost the database one small read every few seconds
-- per instance, not one each. Triggers move it, so that no way of
-- ending access can forget to. migrations/postgres holds the same.

-- +goose Up
CREATE TABLE people_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);

INSERT INTO people_version (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER session_ended AFTER DELETE ON sessions
BEGIN
    UPDATE people_version SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER token_ended AFTER DELETE ON api_tokens
BEGIN
    UPDATE people_version SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER user_removed AFTER DELETE ON users
BEGIN
    UPDATE people_version SET version = version + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER role_changed AFTER UPDATE OF role ON users
BEGIN
    UPDATE people_version SET version = version + 1;
END;
-- +goose StatementEnd
