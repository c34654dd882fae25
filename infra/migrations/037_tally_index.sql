-- 研判's tallies (infra/analysis.py) count the cases of a period by grid and category, duplicates (重复件) left
-- out. An index holding exactly those rows, in the answer's order, lets PostgreSQL count them from the index
-- alone (an index-only skip scan, no heap visits, no sort): about half the time of reading the rows.
CREATE INDEX IF NOT EXISTS case_summaries_tally ON case_summaries (grid_id, category, received_at)
    WHERE archive_reason IS DISTINCT FROM 'duplicate';
