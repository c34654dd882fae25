-- A grid worker (网格员) is bound to one grid: the jurisdiction id their reports must be in and their reads are
-- limited to. NULL for every other role (and for every user added before).
ALTER TABLE users ADD COLUMN jurisdiction text;
