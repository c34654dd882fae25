-- Workbench sessions: the cookie holds a random secret; only its SHA-256 is kept. A session ends when it
-- expires, when it is ended (sign-out), or at once when its user is disabled.
CREATE TABLE sessions (
    session_hash text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);
