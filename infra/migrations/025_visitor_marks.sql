-- Repeat visits (重复来访, domain/analysis.py): one row per visitor of each case, written when the case is
-- received. Only keyed hashes (HMAC-SHA256 under DATA_DIR/visitor-key, infra/visitors.py) of the ID number and
-- of the phone are kept, never the number or the phone themselves: equal hashes find the same person, and
-- without the key nobody can test a guessed number against them. Not a projection (the projector has no key):
-- a rebuild of the read models leaves this table alone.
CREATE TABLE visitor_marks (
    case_id      text        NOT NULL,
    n            integer     NOT NULL,  -- the visitor's place among the case's visitors, from 1
    received_at  timestamptz NOT NULL,
    id_digest    bytea,                 -- HMAC of the normalised ID number; NULL when none was given
    phone_digest bytea,                 -- HMAC of the normalised phone; NULL when none was given
    PRIMARY KEY (case_id, n)
);
CREATE INDEX visitor_marks_id ON visitor_marks (id_digest, received_at) WHERE id_digest IS NOT NULL;
CREATE INDEX visitor_marks_phone ON visitor_marks (phone_digest, received_at) WHERE phone_digest IS NOT NULL;
CREATE INDEX visitor_marks_received ON visitor_marks (received_at);
