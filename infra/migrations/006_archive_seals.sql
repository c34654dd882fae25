-- 一案一档: when a case is archived, its final head is sealed here. Nothing may follow an archived case's
-- last event, so `liandiao audit verify` compares each seal with the stream's head today.
CREATE TABLE case_archive_seals (
    case_id    text PRIMARY KEY,
    version    integer     NOT NULL,
    head_hash  text        NOT NULL,
    sealed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER case_archive_seals_no_update_or_delete BEFORE UPDATE OR DELETE ON case_archive_seals
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
