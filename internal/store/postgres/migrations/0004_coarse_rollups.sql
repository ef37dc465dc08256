-- Coarser roll-ups for long windows. A row store reads ~1 µs per row: a month of 5-minute
-- slots is hundreds of thousands of rows, so dashboards over weeks read hourly rows for the
-- whole hours of their window and 5-minute rows only at its edges. Per-user sums per UTC day
-- serve the users' tables and counts. All are kept equal to the raw tables by every write
-- transaction, like the 5-minute roll-ups.

CREATE TABLE llm_usage_1h (LIKE llm_usage_5m INCLUDING ALL);
CREATE TABLE trace_stats_1h (LIKE trace_stats_5m INCLUDING ALL);

INSERT INTO llm_usage_1h
SELECT workspace_id, slot_ms / 3600000 * 3600000, agent_id, model, provider, sum(calls), sum(priced_calls), sum(cost_usd),
       sum(tokens_input), sum(tokens_output)
FROM llm_usage_5m GROUP BY 1, 2, 3, 4, 5;

INSERT INTO trace_stats_1h
SELECT workspace_id, slot_ms / 3600000 * 3600000, agent_id, status, error_type, sum(traces), sum(latency_ms), sum(priced), sum(cost_usd),
       sum(tokens_input), sum(tokens_output), sum(tokens_total)
FROM trace_stats_5m GROUP BY 1, 2, 3, 4, 5;

-- Traces of one user (the empty user too) started on one UTC day. The extremes are kept
-- by least/greatest on adding and read again from the traces when a rewrite takes traces away.
CREATE TABLE user_stats_1d (
    workspace_id   text NOT NULL,
    day_ms         bigint NOT NULL,
    user_id        text NOT NULL,
    traces         bigint NOT NULL,
    success        bigint NOT NULL,
    errors         bigint NOT NULL,
    timeouts       bigint NOT NULL,
    latency_ms     bigint NOT NULL,
    priced         bigint NOT NULL,
    cost_usd       double precision NOT NULL,
    tokens_input   bigint NOT NULL,
    tokens_output  bigint NOT NULL,
    tokens_total   bigint NOT NULL,
    first_start    timestamptz,
    last_start     timestamptz,
    last_end       timestamptz,
    PRIMARY KEY (workspace_id, day_ms, user_id)
);

INSERT INTO user_stats_1d
SELECT workspace_id, floor(extract(epoch FROM start_time) * 1000 / 86400000)::bigint * 86400000, user_id, count(*),
       count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE status = 'timeout'),
       sum(latency_ms), count(cost_usd), coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0),
       coalesce(sum(tokens_total), 0), min(start_time), max(start_time), max(end_time)
FROM traces GROUP BY 1, 2, 3;
