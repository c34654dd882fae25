-- Named people on a case: a task's 责任人 (the acknowledging liaison, or whom a liaison of the department named)
-- and the case's 包案 leader. Read models like the others: derived from the folded case, rebuilt with them.
-- Both hold user ids; names are read from users when shown.

ALTER TABLE department_tasks ADD COLUMN IF NOT EXISTS assignee text;   -- the inbox's 责任人
ALTER TABLE task_facts ADD COLUMN IF NOT EXISTS assignee text;         -- the scores per person

-- One row per case with a 包案 leader (GET /leaders/me/cases): the leader's cases, latest first.
CREATE TABLE case_leaders (
    case_id text        PRIMARY KEY,
    leader  text        NOT NULL,   -- the leader user's id
    reason  text        NOT NULL,
    since   timestamptz NOT NULL
);
CREATE INDEX case_leaders_leader ON case_leaders (leader, since DESC, case_id);

-- The acknowledgements already stored name their acknowledger once folded again: empty the read models and
-- the projector folds every event from the start (the events are the record; nothing here is).
TRUNCATE case_states, case_summaries, department_tasks, open_escalations, department_stats, case_listings,
         awaiting_decisions, open_summons, notifications, task_facts, follow_up_facts;
DELETE FROM projection_checkpoints WHERE name = 'read_models';
