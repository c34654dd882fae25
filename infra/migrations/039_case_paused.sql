-- When the case's clock was paused (中止计时), NULL while it runs: a department's task card says its deadline is
-- stopped and never reads as overdue while it is. The cases paused now are found in their folded states.
ALTER TABLE case_summaries ADD COLUMN paused_at timestamptz;
UPDATE case_summaries s SET paused_at = (c.state->>'paused_at')::timestamptz
  FROM case_states c
 WHERE c.case_id = s.case_id AND c.state->>'paused_at' IS NOT NULL;
