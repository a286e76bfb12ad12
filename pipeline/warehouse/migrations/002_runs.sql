-- One row per run of the whole job (hitreflect run, or a scheduled run):
-- when it ran, whether anything failed, and its summary as JSON (the same
-- summary the run writes to <output>/runs/).
CREATE SEQUENCE run_ids START 1;

CREATE TABLE runs (
    run_id      BIGINT PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    status      VARCHAR NOT NULL,   -- ok | failed
    summary     VARCHAR NOT NULL    -- JSON
);
