-- Standing meetings (联席会议, 圆桌议事会): each meeting is its own append-only event stream, beside the cases'.
CREATE TABLE meeting_events (
    meeting_id  text NOT NULL,
    seq         integer NOT NULL,
    type        text NOT NULL,
    payload     jsonb NOT NULL,
    actor       jsonb NOT NULL,
    recorded_at timestamptz NOT NULL,
    at          timestamptz NOT NULL,         -- the meeting's time, copied so a period's meetings list by index
    request_id  text,
    PRIMARY KEY (meeting_id, seq)
);
CREATE UNIQUE INDEX meeting_events_request ON meeting_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX meeting_events_by_time ON meeting_events (at) WHERE seq = 1;

CREATE FUNCTION liandiao_meeting_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'meeting_events is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER meeting_events_no_update_or_delete BEFORE UPDATE OR DELETE ON meeting_events
    FOR EACH ROW EXECUTE FUNCTION liandiao_meeting_events_append_only();
