-- Workbench sign-in sessions (issue 9). The browser holds a random secret in an HttpOnly, SameSite cookie;
-- only its SHA-256 is kept here, with the person it stands for.
CREATE TABLE workbench_sessions (
    session_hash  text PRIMARY KEY,
    actor         jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX workbench_sessions_expiry ON workbench_sessions (expires_at);
