-- Evaluation: custom judge criteria, judge runs (prompt sent, raw answer, verdicts, usage,
-- cost), their per-criterion scores for the quality dashboards, and batches.

CREATE TABLE eval_criteria (
    workspace_id  text NOT NULL,
    name          text NOT NULL,
    definition    text NOT NULL,  -- the criterion as JSON
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, name)
);

CREATE TABLE evaluations (
    workspace_id       text NOT NULL,
    id                 text NOT NULL,
    job_key            text NOT NULL,  -- evaluator@version and target: one job each
    trace_id           text NOT NULL,
    agent_id           text NOT NULL,
    evaluator_id       text NOT NULL,
    evaluator_version  integer NOT NULL,
    source             text NOT NULL,  -- manual | batch | auto
    batch_id           text NOT NULL,
    status             text NOT NULL,  -- pending | done | unparsable | failed | skipped
    overall            double precision,
    verdicts           text NOT NULL,  -- JSON array
    prompt             text NOT NULL,
    raw_answer         text NOT NULL,
    error              text NOT NULL,
    provider           text NOT NULL,
    model              text NOT NULL,
    cache_key          text NOT NULL,
    cached             boolean NOT NULL,
    tokens_input       bigint NOT NULL,
    tokens_output      bigint NOT NULL,
    cost_usd           double precision,
    latency_ms         bigint NOT NULL,
    attempts           integer NOT NULL,
    created_at         timestamptz NOT NULL,
    finished_at        timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, job_key)
);

CREATE TABLE evaluation_scores (
    workspace_id   text NOT NULL,
    evaluation_id  text NOT NULL,
    trace_id       text NOT NULL,
    agent_id       text NOT NULL,
    source         text NOT NULL,
    criterion      text NOT NULL,  -- a criterion name or "overall"
    score          double precision NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE TABLE eval_batches (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    total         integer NOT NULL,
    criteria      text NOT NULL,  -- JSON array
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE INDEX evaluations_created ON evaluations (workspace_id, created_at);
CREATE INDEX evaluations_cache ON evaluations (workspace_id, cache_key);
CREATE INDEX evaluations_batch ON evaluations (workspace_id, batch_id) WHERE batch_id <> '';
CREATE INDEX evaluation_scores_created ON evaluation_scores (workspace_id, created_at);
CREATE INDEX evaluation_scores_eval ON evaluation_scores (workspace_id, evaluation_id);

CREATE TABLE ab_tests (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    definition    text NOT NULL,  -- the test as JSON
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
