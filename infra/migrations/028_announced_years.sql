-- The holiday schedules the State Council announced (docs/api.md §11), loaded with `liandiao calendar load`:
-- one row per year, which the calendar of every case received from then on holds (winning over the holidays
-- package's estimate). Loading a year again (a corrected file) replaces its row: cases keep what they pinned.
CREATE TABLE announced_years (
    year          integer     PRIMARY KEY,
    body          text        NOT NULL,        -- canonical JSON (domain/holiday_schedule.py)
    content_hash  text        NOT NULL,        -- sha256 of body
    loaded_by     text        NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);

-- Every load that changed a year, for good: who put which schedule in force when, and what it replaced.
CREATE TABLE announced_year_loads (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year          integer     NOT NULL,
    body          text        NOT NULL,
    content_hash  text        NOT NULL,
    replaced_hash text,                        -- the year's schedule before this load; NULL for the first
    loaded_by     text        NOT NULL,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX announced_year_loads_by_year ON announced_year_loads (year, id);
CREATE TRIGGER announced_year_loads_append_only BEFORE UPDATE OR DELETE ON announced_year_loads
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
