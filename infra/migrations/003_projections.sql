-- Read models, projected from the events' global order by infra/projections.py. Everything here can be
-- emptied and rebuilt from the events (`liandiao projections rebuild`); nothing here is the record.

-- How far each projector has read: the global position (tx_id, position) of the last event applied, written
-- in the same transaction as the rows that event changed.
CREATE TABLE projection_checkpoints (
    name     text   PRIMARY KEY,
    tx_id    bigint NOT NULL,
    position bigint NOT NULL
);

-- The folded CaseState (domain/case.py) of every case: the projector evolves it with each new event.
CREATE TABLE case_states (
    case_id text    PRIMARY KEY,
    version integer NOT NULL,
    state   jsonb   NOT NULL
);

-- One row per case for listings (GET /cases). No personal data: parties appear only as a fingerprint.
CREATE TABLE case_summaries (
    case_id           text PRIMARY KEY,
    stage             text        NOT NULL,
    title             text        NOT NULL,
    category          text        NOT NULL,
    channel           text,
    grid_id           text        NOT NULL,
    risk_level        text        NOT NULL,
    received_at       timestamptz,            -- NULL only for a stream without CaseReceived (never listed)
    updated_at        timestamptz,
    version           integer     NOT NULL,
    departments       text[]      NOT NULL,   -- every department that has or had a task
    lead_department   text,
    escalation_level  integer     NOT NULL,   -- the highest over the open tasks
    overdue_since     timestamptz,            -- the earliest due time of an open clock; NULL when none or paused
    outcome           text,
    satisfaction      text,                   -- of the last follow-up
    reopen_count      integer     NOT NULL,
    archive_reason    text,
    party_fingerprint text                    -- read_models.party_fingerprint; NULL for a case without parties
);
-- Keyset pagination: newest first, ties broken by case id (both descending, so one row comparison pages).
CREATE INDEX case_summaries_listing ON case_summaries (received_at DESC, case_id DESC)
    WHERE received_at IS NOT NULL;
CREATE INDEX case_summaries_stage_listing ON case_summaries (stage, received_at DESC, case_id DESC)
    WHERE received_at IS NOT NULL;
CREATE INDEX case_summaries_departments ON case_summaries USING gin (departments);
CREATE INDEX case_summaries_overdue ON case_summaries (overdue_since) WHERE overdue_since IS NOT NULL;
CREATE INDEX case_summaries_duplicates ON case_summaries (party_fingerprint, received_at)
    WHERE party_fingerprint IS NOT NULL AND stage <> 'archived';

-- The department inbox: one row per task. Task ids are unique across cases (decide derives them from the
-- case id); the case id leads the key anyway, so a stream written by other means cannot overwrite another
-- case's task.
CREATE TABLE department_tasks (
    case_id            text        NOT NULL,
    task_id            text        NOT NULL,
    department         text        NOT NULL,
    role               text        NOT NULL,
    status             text        NOT NULL,
    assigned_at        timestamptz NOT NULL,
    acknowledge_due_at timestamptz NOT NULL,
    reply_due_at       timestamptz NOT NULL,
    acknowledged_at    timestamptz,
    replied_at         timestamptz,
    escalation_level   integer     NOT NULL,
    open_clock         text,                  -- acknowledge / reply while the task is open, else NULL
    open_due_at        timestamptz,           -- the due time of the open clock
    updated_at         timestamptz NOT NULL,  -- when an event last changed this task
    PRIMARY KEY (case_id, task_id)
);
CREATE INDEX department_tasks_open ON department_tasks (department, open_due_at, case_id, task_id)
    WHERE open_due_at IS NOT NULL;
CREATE INDEX department_tasks_closed ON department_tasks (department, updated_at DESC, case_id, task_id)
    WHERE open_due_at IS NULL;
CREATE INDEX department_tasks_task ON department_tasks (task_id);

-- The supervision board (督办): escalations still open. A cleared escalation is deleted; the events keep it.
CREATE TABLE open_escalations (
    case_id    text        NOT NULL,
    task_id    text        NOT NULL,
    clock      text        NOT NULL,
    department text        NOT NULL,
    level      integer     NOT NULL,
    since      timestamptz NOT NULL,
    due_at     timestamptz NOT NULL,
    PRIMARY KEY (case_id, task_id, clock)
);
CREATE INDEX open_escalations_worst_first ON open_escalations (level DESC, since, case_id, task_id, clock);
CREATE INDEX open_escalations_department ON open_escalations (department, level DESC, since, case_id, task_id, clock);

-- Counters per department (on time = at or before the due time in force at that moment).
CREATE TABLE department_stats (
    department           text   PRIMARY KEY,
    tasks_assigned       bigint NOT NULL DEFAULT 0,
    acknowledged         bigint NOT NULL DEFAULT 0,
    acknowledged_on_time bigint NOT NULL DEFAULT 0,
    replied              bigint NOT NULL DEFAULT 0,
    replied_on_time      bigint NOT NULL DEFAULT 0,
    returns              bigint NOT NULL DEFAULT 0,
    followups            bigint NOT NULL DEFAULT 0,
    satisfied            bigint NOT NULL DEFAULT 0,
    basically_satisfied  bigint NOT NULL DEFAULT 0,
    dissatisfied         bigint NOT NULL DEFAULT 0
);
