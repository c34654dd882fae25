-- The notifications read model (GET /notifications, GET /cases/{id}/notifications), projected from
-- the NotificationIssued/Deferred/Delivered/Failed events like every read model (rebuilt from the events).
CREATE TABLE notifications (
    notification_id text        PRIMARY KEY,
    case_id         text        NOT NULL,
    kind            text        NOT NULL,
    level           integer     NOT NULL,
    departments     text[]      NOT NULL,   -- the recipients' departments (a liaison sees these)
    recipients      text[]      NOT NULL,   -- "liaisons:{department}", "head:{department}"
    record          jsonb       NOT NULL,   -- domain.case.NotificationRecord: text, link, deliveries, ...
    created_at      timestamptz NOT NULL
);
CREATE INDEX notifications_departments ON notifications USING gin (departments);
CREATE INDEX notifications_case ON notifications (case_id, created_at);
CREATE INDEX notifications_created ON notifications (created_at DESC, notification_id DESC);
