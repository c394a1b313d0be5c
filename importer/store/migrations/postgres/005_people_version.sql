-- A number that moves whenever somebody may have lost access: a session
-- or API token ended, a user removed, a role changed, whoever did it (the
-- server, another instance, the command line). An open event stream
-- checks its user again only when the number has moved, so that a
-- thousand watchers cost the database one small read every few seconds
-- per instance, not one each. Triggers move it, so that no way of
-- ending access can forget to. migrations/sqlite holds the same.

-- +goose Up
CREATE TABLE people_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);

INSERT INTO people_version (id, version) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE people_version SET version = version + 1;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER session_ended AFTER DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION people_changed();
CREATE TRIGGER token_ended AFTER DELETE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION people_changed();
CREATE TRIGGER user_removed AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION people_changed();
CREATE TRIGGER role_changed AFTER UPDATE OF role ON users
    FOR EACH STATEMENT EXECUTE FUNCTION people_changed();
