-- Bearer tokens: only a hash of each token is kept.
CREATE TABLE api_tokens (
    token_hash  text PRIMARY KEY,
    role        text NOT NULL,
    department  text,
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- A write repeated with the same Idempotency-Key has effect once and gets the same answer.
CREATE TABLE idempotency_keys (
    token_hash    text NOT NULL,
    key           text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,
    response      jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_hash, key)
);
