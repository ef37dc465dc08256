-- Core schema: tenants, keys, traces with their spans and scores, the agents registry,
-- dead letters, activity events and guardrail violations. Every row carries its workspace.

CREATE TABLE workspaces (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id            VARCHAR PRIMARY KEY,
    workspace_id  VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    prefix        VARCHAR NOT NULL,
    hash          VARCHAR NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);

-- One row per trace. tokens_*, cost_usd, status, end_time and latency_ms are roll-ups over
-- the trace's spans; declared_* keep what the client sent on the trace so later spans can be
-- rolled up again. A trace with span_count = 0 is a flat trace: it reads as one llm span.
CREATE TABLE traces (
    workspace_id        VARCHAR NOT NULL,
    trace_id            VARCHAR NOT NULL,
    agent_id            VARCHAR NOT NULL,
    name                VARCHAR NOT NULL,
    user_id             VARCHAR NOT NULL,
    session_id          VARCHAR NOT NULL,
    start_time          TIMESTAMPTZ NOT NULL,
    end_time            TIMESTAMPTZ NOT NULL,
    latency_ms          BIGINT NOT NULL,
    status              VARCHAR NOT NULL,
    error_type          VARCHAR NOT NULL,
    error_message       VARCHAR NOT NULL,
    input               VARCHAR NOT NULL,
    output              VARCHAR NOT NULL,
    model               VARCHAR NOT NULL,
    provider            VARCHAR NOT NULL,
    tokens_input        BIGINT,
    tokens_output       BIGINT,
    tokens_cached       BIGINT,
    tokens_total        BIGINT,
    cost_usd            DOUBLE,
    tags                VARCHAR[] NOT NULL,
    metadata            VARCHAR NOT NULL, -- JSON text
    span_count          BIGINT NOT NULL,
    error_span_count    BIGINT NOT NULL,
    declared_status     VARCHAR NOT NULL,
    declared_latency_ms BIGINT,
    declared_end_time   TIMESTAMPTZ,
    declared_tokens_input  BIGINT,
    declared_tokens_output BIGINT,
    declared_tokens_cached BIGINT,
    declared_tokens_total  BIGINT,
    declared_cost_usd      DOUBLE,
    ingested_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, trace_id)
);

-- Spans have no primary key on purpose: (workspace, trace_id, span_id) is unique because the
-- writer appends spans only with a trace that did not exist (the traces key guarantees it) and
-- replaces the spans of existing traces by delete-then-insert. An index over every span cost
-- more than half of the write time.
CREATE TABLE spans (
    workspace_id    VARCHAR NOT NULL,
    trace_id        VARCHAR NOT NULL,
    span_id         VARCHAR NOT NULL,
    parent_span_id  VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    start_time      TIMESTAMPTZ NOT NULL,
    end_time        TIMESTAMPTZ NOT NULL,
    latency_ms      BIGINT NOT NULL,
    status          VARCHAR NOT NULL,
    status_message  VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    provider        VARCHAR NOT NULL,
    tokens_input    BIGINT,
    tokens_output   BIGINT,
    tokens_cached   BIGINT,
    tokens_total    BIGINT,
    cost_usd        DOUBLE,
    input           VARCHAR NOT NULL,
    output          VARCHAR NOT NULL,
    attributes      VARCHAR NOT NULL  -- JSON text
);

CREATE TABLE scores (
    workspace_id  VARCHAR NOT NULL,
    trace_id      VARCHAR NOT NULL,
    score_id      VARCHAR NOT NULL,
    span_id       VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    value         DOUBLE NOT NULL,
    comment       VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, trace_id, score_id)
);

CREATE TABLE agents (
    workspace_id  VARCHAR NOT NULL,
    agent_id      VARCHAR NOT NULL,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    models        VARCHAR[] NOT NULL,
    PRIMARY KEY (workspace_id, agent_id)
);

CREATE TABLE dead_letters (
    id            VARCHAR PRIMARY KEY,
    workspace_id  VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    reason        VARCHAR NOT NULL,
    payload       BLOB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL,
    replayed_at   TIMESTAMPTZ
);

CREATE TABLE events (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    time          TIMESTAMPTZ NOT NULL,
    type          VARCHAR NOT NULL,
    agent_id      VARCHAR NOT NULL,
    title         VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    details       VARCHAR NOT NULL, -- JSON text
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE violations (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    time          TIMESTAMPTZ NOT NULL,
    trace_id      VARCHAR NOT NULL,
    agent_id      VARCHAR NOT NULL,
    type          VARCHAR NOT NULL,
    subtype       VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,
    detail        VARCHAR NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
