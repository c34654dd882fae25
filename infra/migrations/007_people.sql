-- People who sign in (and machine users, which only hold tokens). Passwords are argon2 hashes.
CREATE TABLE users (
    id            text PRIMARY KEY,                 -- the actor id on every event this user causes
    login         text NOT NULL UNIQUE,
    name          text NOT NULL,                    -- display name, shown in timelines and dossiers
    role          text NOT NULL,
    department    text,                             -- a liaison's department
    kind          text NOT NULL DEFAULT 'person' CHECK (kind IN ('person', 'machine')),
    password_hash text,                             -- NULL: cannot sign in (machine users)
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz                       -- set: no sign-in, its tokens and sessions get 401
);

-- Failed sign-ins, for slowing down and locking a login (application/people.py). Old rows are pruned.
CREATE TABLE sign_in_failures (
    login text        NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_login ON sign_in_failures (login, at);

-- Every organisation that has been in force: a case's CaseReceived names one by its fingerprint.
CREATE TABLE organisations (
    fingerprint    text PRIMARY KEY,                -- sha256 of body
    body           text NOT NULL,                   -- canonical JSON (domain/organisation.py)
    first_loaded_at timestamptz NOT NULL DEFAULT now(),
    last_loaded_at  timestamptz NOT NULL DEFAULT now()
);
