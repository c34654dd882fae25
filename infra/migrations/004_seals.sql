-- Seals: a Merkle root over every case's chain head at a moment (infra/audit/seals.py), chained to the
-- previous seal. An auditor keeps a copy outside the database (the seal file): a stream rewritten or cut
-- short after sealing no longer matches the head its seal recorded.
CREATE TABLE seals (
    id             bigserial   PRIMARY KEY,
    sealed_at      timestamptz NOT NULL,
    cases          integer     NOT NULL,
    events         bigint      NOT NULL,
    merkle_root    text        NOT NULL,
    heads          jsonb       NOT NULL,  -- [[case_id, version, head_hash], ...] ordered by case_id
    prev_seal_hash text        NOT NULL,
    seal_hash      text        NOT NULL UNIQUE
);
-- "The latest seal covering this case": heads @> '[["<case_id>"]]'.
CREATE INDEX seals_heads ON seals USING gin (heads jsonb_path_ops);

CREATE FUNCTION liandiao_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'seals are append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER seals_no_update_or_delete BEFORE UPDATE OR DELETE ON seals
    FOR EACH ROW EXECUTE FUNCTION liandiao_seals_append_only();
CREATE TRIGGER seals_no_truncate BEFORE TRUNCATE ON seals
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_seals_append_only();
