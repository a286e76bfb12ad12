-- The canonical tables of docs/warehouse.md. Natural keys are kept unique by
-- the loader rather than by DuckDB indexes: DuckDB 1.1 checks unique
-- constraints eagerly, which breaks deleting and re-inserting a key inside one
-- transaction (how corrected files replace rows), and indexes on millions of
-- rows cost memory without speeding up the loader's hash joins.

CREATE SEQUENCE file_ids START 1;

CREATE TABLE files (
    file_id        BIGINT PRIMARY KEY,
    source         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    provider       VARCHAR,
    path           VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,
    size_bytes     BIGINT NOT NULL,
    profile        VARCHAR NOT NULL,
    profile_hash   VARCHAR NOT NULL,
    load_mode      VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,      -- loaded | rejected (the file could not be read; nothing loaded)
    message        VARCHAR,
    encoding       VARCHAR,
    header_line    INTEGER,
    rows_read      BIGINT NOT NULL DEFAULT 0,
    rows_loaded    BIGINT NOT NULL DEFAULT 0,
    rows_rejected  BIGINT NOT NULL DEFAULT 0,
    rows_duplicate BIGINT NOT NULL DEFAULT 0,
    rows_skipped   BIGINT NOT NULL DEFAULT 0,
    rows_new       BIGINT NOT NULL DEFAULT 0,
    rows_changed   BIGINT NOT NULL DEFAULT 0,
    rows_unchanged BIGINT NOT NULL DEFAULT 0,
    rows_removed   BIGINT NOT NULL DEFAULT 0,
    skip_reasons   VARCHAR,               -- JSON object: reason -> rows
    dropped_columns VARCHAR,              -- headers not read because they hold personal data
    notes          VARCHAR,               -- JSON list: how some values were read, worth a look
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP
);

CREATE TABLE rejects (
    file_id     BIGINT NOT NULL,
    line        BIGINT,                   -- line in the file where the row starts
    record      BIGINT,                   -- data row number, 1 = first row after the header
    column_name VARCHAR,                  -- the file's header, when one column is at fault
    field       VARCHAR,                  -- the canonical field
    value       VARCHAR,
    reason      VARCHAR NOT NULL
);

CREATE TABLE providers (
    provider_id      VARCHAR NOT NULL,
    name             VARCHAR,
    cost_per_student DOUBLE,
    cost_per_hour    DOUBLE,
    cost_total       DOUBLE
);

CREATE TABLE schools (
    school_id VARCHAR NOT NULL,
    name      VARCHAR
);

CREATE TABLE students (
    student_id     VARCHAR NOT NULL,
    school_id      VARCHAR,
    grade          INTEGER,
    ell            BOOLEAN,
    sped           BOOLEAN,
    econ_disadv    BOOLEAN,
    race_ethnicity VARCHAR,
    gender         VARCHAR,
    source         VARCHAR NOT NULL,      -- roster | assessment
    file_id        BIGINT,
    line           BIGINT
);

CREATE TABLE sessions (
    provider         VARCHAR NOT NULL,
    session_id       VARCHAR,
    student_id       VARCHAR NOT NULL,
    tutor_id         VARCHAR,
    school_id        VARCHAR,
    session_date     DATE NOT NULL,
    start_time       TIME,
    duration_minutes DOUBLE NOT NULL,
    status           VARCHAR NOT NULL,    -- attended | student_absent | tutor_absent | cancelled
    group_size       INTEGER,
    modality         VARCHAR,             -- in_person | virtual
    subject          VARCHAR,             -- math | ela | other
    file_id          BIGINT NOT NULL,
    line             BIGINT,
    -- The natural key within a provider: the provider's session id, or, where
    -- a provider has none, student|date|start time|subject. Computed on read.
    session_key      VARCHAR GENERATED ALWAYS AS (coalesce(session_id, concat_ws('|', student_id,
                         CAST(session_date AS VARCHAR), coalesce(CAST(start_time AS VARCHAR), ''), coalesce(subject, '')))) VIRTUAL
);

CREATE TABLE assessments (
    student_id        VARCHAR NOT NULL,
    school_id         VARCHAR,
    grade             INTEGER,
    assessment        VARCHAR NOT NULL,
    subject           VARCHAR NOT NULL,   -- math | ela
    school_year       VARCHAR NOT NULL,   -- YYYY-YY
    "window"          VARCHAR NOT NULL,   -- fall | winter | spring
    test_date         DATE NOT NULL,
    scale_score       DOUBLE NOT NULL,
    percentile        DOUBLE,
    achievement_level VARCHAR,
    file_id           BIGINT NOT NULL,
    line              BIGINT
);
