-- Where each case is handled now (handling_level: grid, community, street, district; 上交 moves it up): the triage
-- queue of a centre is its own level's cases (domain/handling.py), and the lists say the level.
ALTER TABLE case_summaries ADD COLUMN handling_level text NOT NULL DEFAULT 'street';
CREATE INDEX case_summaries_handling ON case_summaries (stage, grid_id, handling_level) WHERE received_at IS NOT NULL;

-- The summaries from before do not know the level of the cases received since levels were recorded: empty the
-- read models and the projector folds every event again from the start (the events are the record; nothing here
-- is). Cases received before levels were recorded read as handled at the street.
TRUNCATE case_states, case_summaries, department_tasks, open_escalations, department_stats, case_listings,
         awaiting_decisions, open_summons, notifications, task_facts, follow_up_facts;
DELETE FROM projection_checkpoints WHERE name = 'read_models';
