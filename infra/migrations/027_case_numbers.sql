-- The people's mediation number of each case (（2026）东湖人调字第12号): per committee and year, gap-free. The
-- counter row is taken and the case's number written in one transaction, so concurrent issues queue on the
-- row and a failed one gives its number back. A case keeps its number for good (every paper carries it).
CREATE TABLE case_number_counters (
    committee  text    NOT NULL,
    year       integer NOT NULL,
    last_seq   integer NOT NULL CHECK (last_seq > 0),
    PRIMARY KEY (committee, year)
);
CREATE TABLE case_numbers (
    case_id      text        PRIMARY KEY,
    committee    text        NOT NULL,
    year         integer     NOT NULL,
    seq          integer     NOT NULL CHECK (seq > 0),
    number       text        NOT NULL,
    allocated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (committee, year, seq)
);
CREATE TRIGGER case_numbers_append_only BEFORE UPDATE OR DELETE ON case_numbers
    FOR EACH ROW EXECUTE FUNCTION liandiao_events_append_only();
