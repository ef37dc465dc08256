-- Core schema, the PostgreSQL twin of the DuckDB one: tenants, keys, traces with their spans
-- and scores, the agents registry, dead letters, activity events and guardrail violations.
-- Every row carries its workspace. JSON values are stored as JSON text, as on DuckDB.

CREATE TABLE workspaces (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    workspace_id  text NOT NULL,
    name          text NOT NULL,
    prefix        text NOT NULL,
    hash          text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);

-- The identity of a trace is (workspace, trace_id), but a partitioned table can only enforce
-- keys that include its partition key. trace_keys is therefore the one place that knows every
-- trace and where it lives: writers insert or lock its row first, which serialises concurrent
-- writers of one trace across processes, and readers find the partition through it.
CREATE TABLE trace_keys (
    workspace_id  text NOT NULL,
    trace_id      text NOT NULL,
    start_time    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, trace_id)
);
CREATE INDEX trace_keys_start ON trace_keys (start_time);

-- One row per trace, partitioned by day of start_time; retention drops whole partitions.
-- tokens_*, cost_usd, status, end_time and latency_ms are roll-ups over the trace's spans;
-- declared_* keep what the client sent on the trace. span_count = 0 is a flat trace.
CREATE TABLE traces (
    workspace_id        text NOT NULL,
    trace_id            text NOT NULL,
    agent_id            text NOT NULL,
    name                text NOT NULL,
    user_id             text NOT NULL,
    session_id          text NOT NULL,
    start_time          timestamptz NOT NULL,
    end_time            timestamptz NOT NULL,
    latency_ms          bigint NOT NULL,
    status              text NOT NULL,
    error_type          text NOT NULL,
    error_message       text NOT NULL,
    input               text NOT NULL,
    output              text NOT NULL,
    model               text NOT NULL,
    provider            text NOT NULL,
    tokens_input        bigint,
    tokens_output       bigint,
    tokens_cached       bigint,
    tokens_total        bigint,
    cost_usd            double precision,
    tags                text[] NOT NULL,
    metadata            text NOT NULL,
    span_count          bigint NOT NULL,
    error_span_count    bigint NOT NULL,
    declared_status     text NOT NULL,
    declared_latency_ms bigint,
    declared_end_time   timestamptz,
    declared_tokens_input  bigint,
    declared_tokens_output bigint,
    declared_tokens_cached bigint,
    declared_tokens_total  bigint,
    declared_cost_usd      double precision,
    ingested_at         timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, trace_id, start_time)
) PARTITION BY RANGE (start_time);
-- The query API filters by time window, agent, session and user within a workspace.
CREATE INDEX traces_workspace_time ON traces (workspace_id, start_time);
CREATE INDEX traces_workspace_agent_time ON traces (workspace_id, agent_id, start_time);
CREATE INDEX traces_workspace_session ON traces (workspace_id, session_id) WHERE session_id <> '';
CREATE INDEX traces_workspace_user ON traces (workspace_id, user_id) WHERE user_id <> '';

-- Spans live in the partition of their trace's start (trace_start), so a trace and its spans
-- are read from one partition each and dropped together.
CREATE TABLE spans (
    workspace_id    text NOT NULL,
    trace_id        text NOT NULL,
    span_id         text NOT NULL,
    trace_start     timestamptz NOT NULL,
    parent_span_id  text NOT NULL,
    kind            text NOT NULL,
    name            text NOT NULL,
    start_time      timestamptz NOT NULL,
    end_time        timestamptz NOT NULL,
    latency_ms      bigint NOT NULL,
    status          text NOT NULL,
    status_message  text NOT NULL,
    model           text NOT NULL,
    provider        text NOT NULL,
    tokens_input    bigint,
    tokens_output   bigint,
    tokens_cached   bigint,
    tokens_total    bigint,
    cost_usd        double precision,
    input           text NOT NULL,
    output          text NOT NULL,
    attributes      text NOT NULL,
    PRIMARY KEY (workspace_id, trace_id, span_id, trace_start)
) PARTITION BY RANGE (trace_start);

CREATE TABLE scores (
    workspace_id  text NOT NULL,
    trace_id      text NOT NULL,
    score_id      text NOT NULL,
    span_id       text NOT NULL,
    name          text NOT NULL,
    value         double precision NOT NULL,
    comment       text NOT NULL,
    source        text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, trace_id, score_id)
);

CREATE TABLE agents (
    workspace_id  text NOT NULL,
    agent_id      text NOT NULL,
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    models        text[] NOT NULL,
    PRIMARY KEY (workspace_id, agent_id)
);

CREATE TABLE dead_letters (
    id            text PRIMARY KEY,
    workspace_id  text NOT NULL,
    source        text NOT NULL,
    reason        text NOT NULL,
    payload       bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    attempts      integer NOT NULL,
    replayed_at   timestamptz
);
CREATE INDEX dead_letters_workspace_time ON dead_letters (workspace_id, created_at DESC);

CREATE TABLE events (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    time          timestamptz NOT NULL,
    type          text NOT NULL,
    agent_id      text NOT NULL,
    title         text NOT NULL,
    severity      text NOT NULL,
    details       text NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX events_workspace_time ON events (workspace_id, time DESC);

CREATE TABLE violations (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    time          timestamptz NOT NULL,
    trace_id      text NOT NULL,
    agent_id      text NOT NULL,
    type          text NOT NULL,
    subtype       text NOT NULL,
    severity      text NOT NULL,
    action        text NOT NULL,
    detail        text NOT NULL,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX violations_workspace_time ON violations (workspace_id, time DESC);
