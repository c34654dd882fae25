-- Workbench sign-in sessions (issue 9). The browser holds a random session id in an HttpOnly, SameSite
-- cookie; only its SHA-256 is kept here, with the person it stands for and the CSRF token of its forms.
CREATE TABLE workbench_sessions (
    session_hash  text PRIMARY KEY,
    actor         jsonb NOT NULL,
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX workbench_sessions_expiry ON workbench_sessions (expires_at);
