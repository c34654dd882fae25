-- Sweeps (排查): each sweep is its own append-only event stream, hash-chained like a case's (domain/chain.py:
-- the envelope names the sweep where a case's names the case), so an auditor can prove who reported when.
CREATE TABLE sweep_events (
    sweep_id     text NOT NULL,
    seq          integer NOT NULL,
    event_id     uuid NOT NULL UNIQUE,
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    actor        jsonb NOT NULL,
    occurred_at  timestamptz NOT NULL,
    jurisdiction text NOT NULL,         -- the sweep's, copied so lists filter by index
    request_id   text,
    prev_hash    text NOT NULL,
    hash         text NOT NULL,
    PRIMARY KEY (sweep_id, seq)
);
CREATE UNIQUE INDEX sweep_events_request ON sweep_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX sweep_events_started ON sweep_events (occurred_at DESC) WHERE seq = 1;

CREATE FUNCTION liandiao_sweep_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'sweep_events is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER sweep_events_no_update_or_delete BEFORE UPDATE OR DELETE ON sweep_events
    FOR EACH ROW EXECUTE FUNCTION liandiao_sweep_events_append_only();
