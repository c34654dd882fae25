-- Supervision as practised: read models of the supervision board beyond the timers' escalations.
-- Like every read model, rebuilt from the events by `liandiao projections rebuild`.

-- The follow-up (回访) is the centre's own work: its escalation names no department.
ALTER TABLE open_escalations ALTER COLUMN department DROP NOT NULL;

-- 挂牌督办 by hand: the case and the leader in personal charge (领导包案), until resolved or lifted.
CREATE TABLE case_listings (
    case_id text        PRIMARY KEY,
    leader  text        NOT NULL,
    reason  text        NOT NULL,
    since   timestamptz NOT NULL
);
CREATE INDEX case_listings_since ON case_listings (since, case_id);

-- Returns (退回审核) and extensions (延期) waiting for a supervisor's decision.
CREATE TABLE awaiting_decisions (
    case_id      text        NOT NULL,
    task_id      text        NOT NULL,
    kind         text        NOT NULL,  -- return / extension
    department   text        NOT NULL,
    reason       text        NOT NULL,
    extra        text,                  -- the extension asked for ("3wd"); NULL for a return
    requested_at timestamptz NOT NULL,
    PRIMARY KEY (case_id, task_id, kind)
);
CREATE INDEX awaiting_decisions_oldest ON awaiting_decisions (requested_at, case_id, task_id);

-- 吹哨报到: summoned departments that have not reported yet.
CREATE TABLE open_summons (
    case_id    text        NOT NULL,
    summons_id text        NOT NULL,
    department text        NOT NULL,
    reason     text        NOT NULL,
    since      timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    PRIMARY KEY (case_id, summons_id, department)
);
CREATE INDEX open_summons_due ON open_summons (due_at, case_id, summons_id, department);
