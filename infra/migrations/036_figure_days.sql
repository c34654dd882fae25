-- The district's figures summed by department and Asia/Shanghai day, kept by triggers on the facts
-- (024_figures.sql), so that a period wholly past is a sum over ~100 rows a day instead of a count over every task
-- (infra/figures.py says when each is used; domain/figures.py defines every figure).
--
-- A period that ended before now judges every deadline in it whatever now is (a deadline in it has passed), so
-- each single-date figure adds up over its days. ``tasks`` (each task behind any figure once) does not: a task
-- counts on its first judged day (``starting``) here, and the tasks that started before a period and have a
-- judged date in it are counted from the rows through ``task_facts_span`` (a GiST index over each task's days).

-- A timestamp's day in Asia/Shanghai: the periods are whole days there (domain.figures.Period).
CREATE FUNCTION shanghai_day(at timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (at AT TIME ZONE 'Asia/Shanghai')::date $$;

-- A task's judged days, first to last: its assignment, and its two deadlines unless it was returned (a returned
-- task is judged by the return rate only). Built-ins only: an index build runs with search_path pg_catalog.
CREATE FUNCTION task_span(returned boolean, assigned_at timestamptz, acknowledge_due_at timestamptz,
                          reply_due_at timestamptz) RETURNS daterange
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN returned THEN daterange((assigned_at AT TIME ZONE 'Asia/Shanghai')::date,
                                             (assigned_at AT TIME ZONE 'Asia/Shanghai')::date, '[]')
                ELSE daterange(least((assigned_at AT TIME ZONE 'Asia/Shanghai')::date,
                                     (acknowledge_due_at AT TIME ZONE 'Asia/Shanghai')::date,
                                     (reply_due_at AT TIME ZONE 'Asia/Shanghai')::date),
                               greatest((assigned_at AT TIME ZONE 'Asia/Shanghai')::date,
                                        (acknowledge_due_at AT TIME ZONE 'Asia/Shanghai')::date,
                                        (reply_due_at AT TIME ZONE 'Asia/Shanghai')::date), '[]') END $$;

CREATE INDEX task_facts_span ON task_facts
    USING gist (task_span(returned, assigned_at, acknowledge_due_at, reply_due_at)) WHERE NOT cancelled;

-- Each column counts what the task figures' column of the same name counts, by the day of its date, as if now
-- were after that day; ``starting``: the tasks whose first judged day it is. Cancelled tasks are in nothing.
CREATE TABLE task_days (
    day           date    NOT NULL,
    department    text    NOT NULL,
    starting      integer NOT NULL,
    assigned      integer NOT NULL,
    returned      integer NOT NULL,
    ack_due       integer NOT NULL,
    ack_on_time   integer NOT NULL,
    reply_due     integer NOT NULL,
    reply_on_time integer NOT NULL,
    reopen_base   integer NOT NULL,
    reopened      integer NOT NULL,
    listed        integer NOT NULL,
    rated         integer NOT NULL,
    rating_points integer NOT NULL,
    PRIMARY KEY (day, department)
);

CREATE TABLE follow_up_days (
    day        date    NOT NULL,
    department text    NOT NULL,
    follow_ups integer NOT NULL,
    satisfied  integer NOT NULL,  -- 满意 or 基本满意
    PRIMARY KEY (day, department)
);

-- Add (sign 1) or take away (sign -1) the contributions of some task facts.
CREATE FUNCTION task_days_add(facts task_facts[], sign integer) RETURNS void LANGUAGE sql AS $$
INSERT INTO task_days AS d
SELECT c.day, t.department, sign * sum(c.starting), sign * sum(c.assigned), sign * sum(c.returned),
       sign * sum(c.ack_due), sign * sum(c.ack_on_time), sign * sum(c.reply_due), sign * sum(c.reply_on_time),
       sign * sum(c.reopen_base), sign * sum(c.reopened), sign * sum(c.listed), sign * sum(c.rated),
       sign * sum(c.rating_points)
  FROM unnest(facts) AS t CROSS JOIN LATERAL (VALUES
        (lower(task_span(t.returned, t.assigned_at, t.acknowledge_due_at, t.reply_due_at)),
         1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (shanghai_day(t.assigned_at), 0, 1, t.returned::int, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (CASE WHEN NOT t.returned THEN shanghai_day(t.acknowledge_due_at) END, 0, 0, 0,
         1, coalesce(t.acknowledged_at <= t.acknowledge_due_at, false)::int, 0, 0, 0, 0, 0, 0, 0),
        (CASE WHEN NOT t.returned THEN shanghai_day(t.reply_due_at) END, 0, 0, 0, 0, 0,
         1, coalesce(t.replied_at <= t.reply_due_at, false)::int, (t.role = 'lead')::int,
         (t.role = 'lead' AND t.case_reopened)::int, 0, (t.grade_points IS NOT NULL)::int,
         coalesce(t.grade_points, 0)),
        (shanghai_day(t.listed_at), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
       ) AS c(day, starting, assigned, returned, ack_due, ack_on_time, reply_due, reply_on_time, reopen_base,
              reopened, listed, rated, rating_points)
 WHERE NOT t.cancelled AND c.day IS NOT NULL
 GROUP BY c.day, t.department
    ON CONFLICT (day, department) DO UPDATE SET
       starting = d.starting + excluded.starting, assigned = d.assigned + excluded.assigned,
       returned = d.returned + excluded.returned, ack_due = d.ack_due + excluded.ack_due,
       ack_on_time = d.ack_on_time + excluded.ack_on_time, reply_due = d.reply_due + excluded.reply_due,
       reply_on_time = d.reply_on_time + excluded.reply_on_time, reopen_base = d.reopen_base + excluded.reopen_base,
       reopened = d.reopened + excluded.reopened, listed = d.listed + excluded.listed,
       rated = d.rated + excluded.rated, rating_points = d.rating_points + excluded.rating_points $$;

CREATE FUNCTION follow_up_days_add(facts follow_up_facts[], sign integer) RETURNS void LANGUAGE sql AS $$
INSERT INTO follow_up_days AS d
SELECT shanghai_day(f.at), f.department, sign * count(*),
       sign * count(*) FILTER (WHERE f.satisfaction IN ('satisfied', 'basically_satisfied'))
  FROM unnest(facts) AS f
 GROUP BY 1, 2
    ON CONFLICT (day, department) DO UPDATE SET
       follow_ups = d.follow_ups + excluded.follow_ups, satisfied = d.satisfied + excluded.satisfied $$;

-- Statement triggers with transition tables: the projector rewrites a batch's cases with one DELETE and one
-- INSERT per table, so each costs one grouped upsert, not one per row. One projector writes at a time (its
-- advisory lock, infra/projections.py), so two upserts of the same day never wait on each other.
CREATE FUNCTION task_days_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM task_days_add(array(SELECT gone::task_facts FROM old_facts gone), -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM task_days_add(array(SELECT came::task_facts FROM new_facts came), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION follow_up_days_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM follow_up_days_add(array(SELECT gone::follow_up_facts FROM old_facts gone), -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM follow_up_days_add(array(SELECT came::follow_up_facts FROM new_facts came), 1);
    END IF;
    RETURN NULL;
END $$;

-- Emptied with their facts (a rebuild, or a migration that makes the projector fold everything again).
CREATE FUNCTION figure_days_empty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('TRUNCATE %I', TG_ARGV[0]);
    RETURN NULL;
END $$;

CREATE TRIGGER task_days_insert AFTER INSERT ON task_facts REFERENCING NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION task_days_keep();
CREATE TRIGGER task_days_update AFTER UPDATE ON task_facts REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION task_days_keep();
CREATE TRIGGER task_days_delete AFTER DELETE ON task_facts REFERENCING OLD TABLE AS old_facts
    FOR EACH STATEMENT EXECUTE FUNCTION task_days_keep();
CREATE TRIGGER task_days_truncate AFTER TRUNCATE ON task_facts
    FOR EACH STATEMENT EXECUTE FUNCTION figure_days_empty('task_days');

CREATE TRIGGER follow_up_days_insert AFTER INSERT ON follow_up_facts REFERENCING NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION follow_up_days_keep();
CREATE TRIGGER follow_up_days_update AFTER UPDATE ON follow_up_facts
    REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION follow_up_days_keep();
CREATE TRIGGER follow_up_days_delete AFTER DELETE ON follow_up_facts REFERENCING OLD TABLE AS old_facts
    FOR EACH STATEMENT EXECUTE FUNCTION follow_up_days_keep();
CREATE TRIGGER follow_up_days_truncate AFTER TRUNCATE ON follow_up_facts
    FOR EACH STATEMENT EXECUTE FUNCTION figure_days_empty('follow_up_days');

-- The facts already projected.
SELECT task_days_add(array(SELECT t FROM task_facts t), 1);
SELECT follow_up_days_add(array(SELECT f FROM follow_up_facts f), 1);
