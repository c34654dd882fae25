-- Who has read which notification (POST /notifications/{id}/read). Per person, not per department:
-- each liaison of a department has their own unread count. Not projected from events (reading is not part
-- of the case's record), so a projection rebuild leaves it alone.
CREATE TABLE notification_reads (
    notification_id text        NOT NULL,
    reader          text        NOT NULL,   -- the caller's actor id
    read_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reader, notification_id)
);
