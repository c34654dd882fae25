-- Who saw what (个人信息保护): every read that showed a case's parties' personal data unmasked.
-- Append-only like the events: a record of access that could be edited would prove nothing.
CREATE TABLE access_log (
    id       bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    jsonb NOT NULL,             -- {"role", "id", "department", "name"?}: who read
    case_id  text,                       -- NULL for reads not tied to one case (Temporal payloads via the codec)
    what     text NOT NULL               -- case, events, replay, codec, dossier
);
CREATE INDEX access_log_by_case ON access_log (case_id, id);

CREATE FUNCTION liandiao_access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER access_log_no_update_or_delete BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION liandiao_access_log_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION liandiao_access_log_append_only();
