-- A person's own channels (Apprise URLs, as a department's in the organisation file): a 包案 leader is told
-- there as well as in the workbench. The URLs may embed secrets (robot keys, SMTP passwords): they are read
-- only by the notifier; pages, answers and events show the redacted address.
ALTER TABLE users ADD COLUMN notify text[] NOT NULL DEFAULT '{}';
