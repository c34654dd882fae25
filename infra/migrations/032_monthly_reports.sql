-- The monthly 研判 reports (docs/api.md §7), made on the first of each month for the month before and kept:
-- one row per month and format, the bytes stored once under their SHA-256 in attachment_blobs. The first one
-- made stands (a second making of the same month stores nothing): what was announced is what is served.
CREATE TABLE monthly_reports (
    period   text        NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    format   text        NOT NULL CHECK (format IN ('html', 'xlsx', 'pdf')),
    sha256   text        NOT NULL REFERENCES attachment_blobs (sha256),
    size     bigint      NOT NULL,
    made_at  timestamptz NOT NULL,
    PRIMARY KEY (period, format)
);
CREATE TRIGGER monthly_reports_append_only BEFORE UPDATE OR DELETE ON monthly_reports
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
