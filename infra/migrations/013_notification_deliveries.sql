-- The dedupe key of each delivery, one row per (notification, channel). The delivery activity claims
-- the row before it sends and marks it after, so a retried activity or a restarted worker does not send twice:
--   status 'sending'   a send is in progress since claimed_at (a lease as long as one attempt may run);
--          'retry'     the last attempt failed; the next one may claim it at once;
--          'delivered' the receiver accepted it: never sent again.
-- Not a read model: the record of what was delivered is the case's events (NotificationDelivered/Failed).
CREATE TABLE notification_deliveries (
    notification_id text        NOT NULL,
    channel_id      text        NOT NULL,
    case_id         text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('sending', 'retry', 'delivered')),
    attempts        integer     NOT NULL,
    claimed_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    last_error      text,
    PRIMARY KEY (notification_id, channel_id)
);
