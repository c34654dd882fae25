-- The transparency log (infra/audit/log.py): every event is a leaf, in the event store's global order
-- (tx_id, position); RFC 6962 tree. Leaves and every complete subtree are stored, so a proof is one query.
CREATE TABLE log_leaves (
    leaf_index bigint  PRIMARY KEY CHECK (leaf_index >= 0),
    tx_id      bigint  NOT NULL,   -- the event's (tx_id, position): where the integrator goes on from
    position   bigint  NOT NULL,
    case_id    text    NOT NULL,
    seq        integer NOT NULL,
    leaf_hash  bytea   NOT NULL,   -- SHA-256(0x00 || the event's chain hash as 32 raw bytes)
    UNIQUE (case_id, seq)
);
-- Complete subtrees above the leaves: node (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
CREATE TABLE log_nodes (
    level smallint NOT NULL CHECK (level >= 1),
    idx   bigint   NOT NULL,
    hash  bytea    NOT NULL,
    PRIMARY KEY (level, idx)
);
-- Public keys that signed tree heads; key_id = hex(SHA-256(DER SubjectPublicKeyInfo)) as RFC 6962's LogID.
CREATE TABLE log_keys (
    key_id     text        PRIMARY KEY,
    public_key bytea       NOT NULL,   -- the 32-byte raw Ed25519 public key
    created_at timestamptz NOT NULL DEFAULT now()
);
-- Signed tree heads (the seals of the transparency log): Ed25519 over RFC 6962 §3.5's TreeHeadSignature.
CREATE TABLE tree_heads (
    id         bigserial PRIMARY KEY,
    tree_size  bigint NOT NULL CHECK (tree_size >= 0),
    root_hash  text   NOT NULL,
    timestamp  bigint NOT NULL,        -- milliseconds since the epoch, UTC
    key_id     text   NOT NULL REFERENCES log_keys,
    signature  text   NOT NULL
);
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER log_keys_append_only BEFORE UPDATE OR DELETE ON log_keys
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER tree_heads_append_only BEFORE UPDATE OR DELETE ON tree_heads
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER log_nodes_no_truncate BEFORE TRUNCATE ON log_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER log_keys_no_truncate BEFORE TRUNCATE ON log_keys
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER tree_heads_no_truncate BEFORE TRUNCATE ON tree_heads
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_events_append_only();
