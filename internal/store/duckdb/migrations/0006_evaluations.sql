-- Evaluation: custom judge criteria, judge runs (prompt sent, raw answer, verdicts, usage,
-- cost), their per-criterion scores for the quality dashboards, and batches.

CREATE TABLE eval_criteria (
    workspace_id  VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    definition    VARCHAR NOT NULL,  -- the criterion as JSON
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE evaluations (
    workspace_id       VARCHAR NOT NULL,
    id                 VARCHAR NOT NULL,
    job_key            VARCHAR NOT NULL,  -- evaluator@version and target: one job each
    trace_id           VARCHAR NOT NULL,
    agent_id           VARCHAR NOT NULL,
    evaluator_id       VARCHAR NOT NULL,
    evaluator_version  INTEGER NOT NULL,
    source             VARCHAR NOT NULL,  -- manual | batch | auto
    batch_id           VARCHAR NOT NULL,
    status             VARCHAR NOT NULL,  -- pending | done | unparsable | failed | skipped
    overall            DOUBLE,
    verdicts           VARCHAR NOT NULL,  -- JSON array
    prompt             VARCHAR NOT NULL,
    raw_answer         VARCHAR NOT NULL,
    error              VARCHAR NOT NULL,
    provider           VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    cache_key          VARCHAR NOT NULL,
    cached             BOOLEAN NOT NULL,
    tokens_input       BIGINT NOT NULL,
    tokens_output      BIGINT NOT NULL,
    cost_usd           DOUBLE,
    latency_ms         BIGINT NOT NULL,
    attempts           INTEGER NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    finished_at        TIMESTAMPTZ,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, job_key)
);

CREATE TABLE evaluation_scores (
    workspace_id   VARCHAR NOT NULL,
    evaluation_id  VARCHAR NOT NULL,
    trace_id       VARCHAR NOT NULL,
    agent_id       VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    criterion      VARCHAR NOT NULL,  -- a criterion name or "overall"
    score          DOUBLE NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE eval_batches (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    total         INTEGER NOT NULL,
    criteria      VARCHAR NOT NULL,  -- JSON array
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE ab_tests (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    definition    VARCHAR NOT NULL,  -- the test as JSON
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
