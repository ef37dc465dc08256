-- Analytics: settings the dashboards keep (budgets, health thresholds), the alerts feed, and
-- the llm-usage roll-up the cost pages read.

CREATE TABLE budgets (
    workspace_id       VARCHAR PRIMARY KEY,
    monthly_limit_usd  DOUBLE NOT NULL,
    thresholds_pct     DOUBLE[] NOT NULL,  -- ascending percentages of the limit that warn
    timezone           VARCHAR NOT NULL,   -- IANA zone whose calendar months count
    updated_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE health_thresholds (
    workspace_id             VARCHAR PRIMARY KEY,
    degraded_p95_ms          DOUBLE NOT NULL,
    critical_p95_ms          DOUBLE NOT NULL,
    degraded_error_rate_pct  DOUBLE NOT NULL,
    critical_error_rate_pct  DOUBLE NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL
);

CREATE TABLE alerts (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    rule_id       VARCHAR NOT NULL,
    severity      VARCHAR NOT NULL,  -- critical | warning | info
    status        VARCHAR NOT NULL,  -- firing | acknowledged | resolved
    title         VARCHAR NOT NULL,
    description   VARCHAR NOT NULL,
    agent_id      VARCHAR NOT NULL,
    triggered_at  TIMESTAMPTZ NOT NULL,
    resolved_at   TIMESTAMPTZ,
    PRIMARY KEY (workspace_id, id)
);

-- Calls to models (llm and embedding spans; a flat trace is its own call) summed per 5-minute
-- slot of their trace's start, agent and model. WriteTraces maintains it in the transaction
-- that writes the traces, so it always equals the same sums over the raw tables; cost by
-- model otherwise needs a join of every span with its trace.
--
-- The roll-ups have no key on purpose: each commit appends its deltas (an upsert on a key
-- doubled the cost of small commits), readers sum the rows of a key, and the writer compacts
-- recently appended slots from time to time.
CREATE TABLE llm_usage_5m (
    workspace_id   VARCHAR NOT NULL,
    slot_ms        BIGINT NOT NULL,   -- epoch ms of the slot start (UTC, multiple of 300000)
    agent_id       VARCHAR NOT NULL,
    model          VARCHAR NOT NULL,
    provider       VARCHAR NOT NULL,
    calls          BIGINT NOT NULL,
    priced_calls   BIGINT NOT NULL,
    cost_usd       DOUBLE NOT NULL,
    tokens_input   BIGINT NOT NULL,
    tokens_output  BIGINT NOT NULL
);

INSERT INTO llm_usage_5m
SELECT workspace_id, slot_ms, agent_id, model, provider, count(*), count(cost_usd),
       coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0)
FROM (
    SELECT workspace_id, epoch_ms(start_time) // 300000 * 300000 AS slot_ms, agent_id, model, provider,
           cost_usd, tokens_input, tokens_output
    FROM traces WHERE span_count = 0
    UNION ALL
    SELECT t.workspace_id, epoch_ms(t.start_time) // 300000 * 300000, t.agent_id, s.model, s.provider,
           s.cost_usd, s.tokens_input, s.tokens_output
    FROM spans s JOIN traces t ON s.workspace_id = t.workspace_id AND s.trace_id = t.trace_id
    WHERE t.span_count > 0 AND s.kind IN ('llm', 'embedding')
)
GROUP BY ALL;

-- Traces summed per 5-minute slot of their start, agent, status and error type: the counts,
-- sums and rates of the dashboards read a few thousand rows here instead of millions of traces.
-- Maintained like llm_usage_5m. Percentiles and distinct counts still read the traces.
CREATE TABLE trace_stats_5m (
    workspace_id   VARCHAR NOT NULL,
    slot_ms        BIGINT NOT NULL,
    agent_id       VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,
    error_type     VARCHAR NOT NULL,
    traces         BIGINT NOT NULL,
    latency_ms     BIGINT NOT NULL,   -- sum
    priced         BIGINT NOT NULL,   -- traces with a cost
    cost_usd       DOUBLE NOT NULL,
    tokens_input   BIGINT NOT NULL,
    tokens_output  BIGINT NOT NULL,
    tokens_total   BIGINT NOT NULL
);

INSERT INTO trace_stats_5m
SELECT workspace_id, epoch_ms(start_time) // 300000 * 300000, agent_id, status, error_type, count(*), sum(latency_ms), count(cost_usd),
       coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0), coalesce(sum(tokens_total), 0)
FROM traces
GROUP BY ALL;

-- Trace detail looks a trace up by id alone (the composite primary key is not used for
-- lookups) and filters the workspace afterwards; scores likewise. Spans have no index (see
-- 0001): they are found through the zone maps of their start time.
CREATE INDEX traces_trace_id ON traces (trace_id);
CREATE INDEX scores_trace_id ON scores (trace_id);

-- Traces counted per hour of their start and latency bucket (latency with three significant
-- digits: each bucket spans at most 1 % of its values). Percentiles over windows holding more
-- traces than the exact computation serves quickly are read from it (see percentiles.go).
-- Maintained like the other roll-ups; no agent dimension, so it serves workspace-wide figures.
CREATE TABLE latency_hist_1h (
    workspace_id  VARCHAR NOT NULL,
    hour_ms       BIGINT NOT NULL,
    bucket        INTEGER NOT NULL,
    traces        BIGINT NOT NULL
);

INSERT INTO latency_hist_1h
SELECT workspace_id, epoch_ms(start_time) // 3600000 * 3600000,
       CASE WHEN latency_ms < 1000 THEN latency_ms
            WHEN latency_ms < 10000 THEN 1000 + latency_ms // 10
            WHEN latency_ms < 100000 THEN 2000 + latency_ms // 100
            WHEN latency_ms < 1000000 THEN 3000 + latency_ms // 1000
            WHEN latency_ms < 10000000 THEN 4000 + latency_ms // 10000
            WHEN latency_ms < 100000000 THEN 5000 + latency_ms // 100000
            WHEN latency_ms < 1000000000 THEN 6000 + latency_ms // 1000000
            ELSE 7000 + least(latency_ms // 10000000, 999) END,
       count(*)
FROM traces
GROUP BY ALL;
