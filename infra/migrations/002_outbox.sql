-- Notifications, written in the same transaction as the events that cause them (a transactional outbox):
-- a notification exists exactly when its event does. Real channels (SMS, the workbench) read from here.
CREATE TABLE notification_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid        NOT NULL,
    case_id     text        NOT NULL,
    recipient   text        NOT NULL,
    channel     text        NOT NULL,
    kind        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    UNIQUE (event_id, recipient, kind)
);
CREATE INDEX notification_outbox_unsent ON notification_outbox (id) WHERE sent_at IS NULL;
