-- Attachment contents, addressed by their SHA-256. In PostgreSQL rather than files under the data
-- dir: one backup holds the record and its files, every API host and worker sees them (also against an
-- external database), and a file stored before its AttachmentAdded event is simply unreferenced, never lost.
-- bytea rather than large objects: files are capped at 20 MiB, and rows get the append-only triggers.
CREATE TABLE attachment_blobs (
    sha256     text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint      NOT NULL,
    content    bytea       NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER attachment_blobs_append_only BEFORE UPDATE OR DELETE ON attachment_blobs
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
CREATE TRIGGER attachment_blobs_no_truncate BEFORE TRUNCATE ON attachment_blobs
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_events_append_only();
