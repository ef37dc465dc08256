-- Analytics, the PostgreSQL twin of DuckDB's 0003: settings the dashboards keep (budgets,
-- health thresholds), the alerts feed, and the roll-ups the dashboards read.

CREATE TABLE budgets (
    workspace_id       text PRIMARY KEY,
    monthly_limit_usd  double precision NOT NULL,
    thresholds_pct     double precision[] NOT NULL,
    timezone           text NOT NULL,
    updated_at         timestamptz NOT NULL
);

CREATE TABLE health_thresholds (
    workspace_id             text PRIMARY KEY,
    degraded_p95_ms          double precision NOT NULL,
    critical_p95_ms          double precision NOT NULL,
    degraded_error_rate_pct  double precision NOT NULL,
    critical_error_rate_pct  double precision NOT NULL,
    updated_at               timestamptz NOT NULL
);

CREATE TABLE alerts (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    rule_id       text NOT NULL,
    severity      text NOT NULL,
    status        text NOT NULL,
    title         text NOT NULL,
    description   text NOT NULL,
    agent_id      text NOT NULL,
    triggered_at  timestamptz NOT NULL,
    resolved_at   timestamptz,
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX alerts_workspace_time ON alerts (workspace_id, triggered_at DESC);

-- Calls to models (llm and embedding spans; a flat trace is its own call) summed per 5-minute
-- slot of their trace's start, agent and model; kept equal to the raw tables by every write
-- transaction. Rows of one slot are hot: writers update them last, in key order.
CREATE TABLE llm_usage_5m (
    workspace_id   text NOT NULL,
    slot_ms        bigint NOT NULL,
    agent_id       text NOT NULL,
    model          text NOT NULL,
    provider       text NOT NULL,
    calls          bigint NOT NULL,
    priced_calls   bigint NOT NULL,
    cost_usd       double precision NOT NULL,
    tokens_input   bigint NOT NULL,
    tokens_output  bigint NOT NULL,
    PRIMARY KEY (workspace_id, slot_ms, agent_id, model, provider)
);

-- Traces summed per 5-minute slot of their start, agent, status and error type.
CREATE TABLE trace_stats_5m (
    workspace_id   text NOT NULL,
    slot_ms        bigint NOT NULL,
    agent_id       text NOT NULL,
    status         text NOT NULL,
    error_type     text NOT NULL,
    traces         bigint NOT NULL,
    latency_ms     bigint NOT NULL,
    priced         bigint NOT NULL,
    cost_usd       double precision NOT NULL,
    tokens_input   bigint NOT NULL,
    tokens_output  bigint NOT NULL,
    tokens_total   bigint NOT NULL,
    PRIMARY KEY (workspace_id, slot_ms, agent_id, status, error_type)
);

INSERT INTO llm_usage_5m
SELECT workspace_id, slot_ms, agent_id, model, provider, count(*), count(cost_usd),
       coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0)
FROM (
    SELECT workspace_id, floor(extract(epoch FROM start_time) * 1000 / 300000)::bigint * 300000 AS slot_ms, agent_id, model, provider,
           cost_usd, tokens_input, tokens_output
    FROM traces WHERE span_count = 0
    UNION ALL
    SELECT t.workspace_id, floor(extract(epoch FROM t.start_time) * 1000 / 300000)::bigint * 300000, t.agent_id, s.model, s.provider,
           s.cost_usd, s.tokens_input, s.tokens_output
    FROM spans s JOIN traces t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id AND s.trace_start = t.start_time
    WHERE t.span_count > 0 AND s.kind IN ('llm', 'embedding')
) c
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO trace_stats_5m
SELECT workspace_id, floor(extract(epoch FROM start_time) * 1000 / 300000)::bigint * 300000, agent_id, status, error_type, count(*),
       sum(latency_ms), count(cost_usd), coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0),
       coalesce(sum(tokens_total), 0)
FROM traces
GROUP BY 1, 2, 3, 4, 5;
