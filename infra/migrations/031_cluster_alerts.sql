-- 研判 预警 (docs/api.md §7): the cluster alerts (聚集预警), domain/clusters.py. Ids, places and categories only:
-- no name, phone or ID number of anyone (the cases hold those, and their own access rules).
CREATE TABLE analysis_alerts (
    alert_id     text        PRIMARY KEY,
    kind         text        NOT NULL DEFAULT 'cluster' CHECK (kind IN ('cluster')),
    jurisdiction text        NOT NULL,              -- the community
    category     text        NOT NULL,
    case_ids     text[]      NOT NULL,              -- oldest first; a joining case is appended
    opened_at    timestamptz NOT NULL,
    status       text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    closed_at    timestamptz,
    closed_by    text,                              -- the supervisor's user id
    note         text,
    CHECK ((status = 'open') = (closed_at IS NULL AND closed_by IS NULL AND note IS NULL))
);
-- One open alert per community and category, whatever the intakes running at once (application/clusters.py also
-- serialises them with an advisory lock; this is what holds if anything else ever writes here).
CREATE UNIQUE INDEX analysis_alerts_one_open ON analysis_alerts (kind, jurisdiction, category) WHERE status = 'open';
CREATE INDEX analysis_alerts_listing ON analysis_alerts (status, opened_at DESC, alert_id DESC);

-- The rule counts a community's cases of one category over the last days at every intake.
CREATE INDEX case_summaries_cluster ON case_summaries (category, grid_id, received_at)
    WHERE received_at IS NOT NULL;
