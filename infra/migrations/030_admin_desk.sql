-- The admin's desk in the workbench (docs/api.md §11).

-- (A grid worker's grid is users.jurisdiction, 026_grid_workers.sql.)

-- When the session's person last entered their password (at sign-in, or again on the admin's desk): the
-- admin's actions need one within the last minutes, so a desk left signed in cannot be used by a passer-by.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS password_at timestamptz NOT NULL DEFAULT now();

-- Every action taken on the admin's desk: who, what, when. Never a password or a token.
CREATE TABLE admin_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   text        NOT NULL,
    actor_name text        NOT NULL,
    action     text        NOT NULL,   -- add_user, disable_user, reset_password, revoke_token, organisation, calendar
    subject    text        NOT NULL,   -- the login, token id, fingerprint or year acted on
    detail     text        NOT NULL DEFAULT ''
);
CREATE INDEX admin_log_at ON admin_log (id DESC);
CREATE TRIGGER admin_log_append_only BEFORE UPDATE OR DELETE ON admin_log
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
