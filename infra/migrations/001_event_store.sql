-- The domain event store: append-only, one stream per case, a per-case hash chain.
CREATE TABLE events (
    -- Global order is (tx_id, position): see infra/event_store.py for why the transaction id leads.
    position       bigint GENERATED ALWAYS AS IDENTITY,
    tx_id          xid8        NOT NULL DEFAULT pg_current_xact_id(),
    case_id        text        NOT NULL,
    seq            integer     NOT NULL CHECK (seq >= 1),
    event_id       uuid        NOT NULL,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    actor          jsonb       NOT NULL,
    data           jsonb       NOT NULL,
    prev_hash      text        NOT NULL,
    hash           text        NOT NULL,
    -- Optimistic concurrency is this key: two writers of one version cannot both commit.
    -- Idempotency needs no index of its own: a retry is recognised by its event ids at the same versions,
    -- which the primary key finds (see liandiao_append).
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX events_global_order ON events (tx_id, position);

-- The store refuses to change history. Verification still catches whoever disables this.
CREATE FUNCTION liandiao_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_events_append_only();

-- Append in one round trip: check the head, chain the hashes from the real head, insert.
-- p_canonical[i] is the canonical JSON of event i's envelope (domain/chain.py), built by the caller with
-- seq = p_expected + i; the hash is sha256(prev_hash || canonical) computed here, from the stored head.
-- A retry of events already stored at the same versions returns them and writes nothing.
CREATE FUNCTION liandiao_append(
    p_case_id text, p_expected integer, p_event_ids uuid[], p_types text[], p_versions integer[],
    p_occurred timestamptz[], p_actors jsonb[], p_data jsonb[], p_canonical text[]
) RETURNS TABLE (out_seq integer, out_hash text, out_written boolean)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := array_length(p_event_ids, 1);
    head_seq integer;
    head_hash text;
    h text;
BEGIN
    SELECT e.seq, e.hash INTO head_seq, head_hash
      FROM events e WHERE e.case_id = p_case_id ORDER BY e.seq DESC LIMIT 1;
    head_seq := coalesce(head_seq, 0);
    head_hash := coalesce(head_hash, repeat('0', 64));
    IF head_seq <> p_expected THEN
        IF (SELECT count(*) FROM unnest(p_event_ids) WITH ORDINALITY AS u(id, i)
              JOIN events e ON e.case_id = p_case_id AND e.seq = p_expected + u.i AND e.event_id = u.id) = n THEN
            RETURN QUERY SELECT e.seq, e.hash, false FROM events e
             WHERE e.case_id = p_case_id AND e.seq > p_expected AND e.seq <= p_expected + n ORDER BY e.seq;
            RETURN;
        END IF;
        RAISE EXCEPTION 'expected version % of case %, found %', p_expected, p_case_id, head_seq
            USING ERRCODE = 'LD409';
    END IF;
    FOR i IN 1..n LOOP
        h := encode(sha256(convert_to(head_hash || p_canonical[i], 'UTF8')), 'hex');
        INSERT INTO events (case_id, seq, event_id, type, schema_version, occurred_at, actor, data,
                            prev_hash, hash)
        VALUES (p_case_id, p_expected + i, p_event_ids[i], p_types[i], p_versions[i], p_occurred[i],
                p_actors[i], p_data[i], head_hash, h);
        out_seq := p_expected + i; out_hash := h; out_written := true;
        RETURN NEXT;
        head_hash := h;
    END LOOP;
END $$;
