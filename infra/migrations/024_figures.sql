-- The facts the district's figures are counted from (domain/figures.py defines each figure; infra/figures.py
-- counts). Read models like the others: derived from the folded case, rebuilt with them.

-- One row per task, as the case stands: its deadlines now (an extension or a pause has moved them).
CREATE TABLE task_facts (
    case_id            text        NOT NULL,
    task_id            text        NOT NULL,
    department         text        NOT NULL,
    role               text        NOT NULL,
    assigned_at        timestamptz NOT NULL,
    acknowledge_due_at timestamptz NOT NULL,
    acknowledged_at    timestamptz,
    reply_due_at       timestamptz NOT NULL,
    replied_at         timestamptz,
    returned           boolean     NOT NULL,  -- 退回 or 撤回, approved
    cancelled          boolean     NOT NULL,  -- taken away by the lead's return: in no figure
    case_reopened      boolean     NOT NULL,  -- on the lead task: the case was reopened (重办)
    listed_at          timestamptz,           -- on the lead task: 挂牌督办
    grade_points       integer,               -- 评定 as domain.vocabulary.GRADE_POINTS (4 优秀 .. 1 差); NULL: not rated
    PRIMARY KEY (case_id, task_id)
);
CREATE INDEX task_facts_assigned ON task_facts (assigned_at);
CREATE INDEX task_facts_acknowledge_due ON task_facts (acknowledge_due_at);
CREATE INDEX task_facts_reply_due ON task_facts (reply_due_at);
CREATE INDEX task_facts_listed ON task_facts (listed_at) WHERE listed_at IS NOT NULL;

-- One row per follow-up (回访) and department it rates.
CREATE TABLE follow_up_facts (
    case_id      text        NOT NULL,
    n            integer     NOT NULL,
    department   text        NOT NULL,
    at           timestamptz NOT NULL,
    satisfaction text        NOT NULL,
    PRIMARY KEY (case_id, n, department)
);
CREATE INDEX follow_up_facts_at ON follow_up_facts (at);

-- A database from before has its read models ahead of these new tables: empty them all and the projector
-- folds every event again from the start (the events are the record; nothing here is).
TRUNCATE case_states, case_summaries, department_tasks, open_escalations, department_stats, case_listings,
         awaiting_decisions, open_summons, notifications;
DELETE FROM projection_checkpoints WHERE name = 'read_models';
