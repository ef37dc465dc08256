-- Sessions and latency, for the sessions list and percentiles over long windows.

-- The first and last start of every session, so that the sessions of a window are counted
-- without reading its traces: those that began in it, plus those that began before and were
-- still active in it (few). Kept exact like user_stats_1d's extremes.
CREATE TABLE session_bounds (
    workspace_id  text NOT NULL,
    session_id    text NOT NULL,
    first_start   timestamptz NOT NULL,
    last_start    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, session_id)
);
CREATE INDEX session_bounds_first ON session_bounds (workspace_id, first_start);
CREATE INDEX session_bounds_last ON session_bounds (workspace_id, last_start) INCLUDE (first_start, session_id);

INSERT INTO session_bounds
SELECT workspace_id, session_id, min(start_time), max(start_time) FROM traces WHERE session_id <> '' GROUP BY 1, 2;

-- Traces counted per UTC day of their start and latency bucket (store.LatencyBucket: three
-- significant digits, so each bucket spans at most 1 percent of its values). Percentiles
-- over windows of more traces than sorting serves quickly are estimated from it.
CREATE TABLE latency_hist_1d (
    workspace_id  text NOT NULL,
    day_ms        bigint NOT NULL,
    bucket        bigint NOT NULL,
    traces        bigint NOT NULL,
    PRIMARY KEY (workspace_id, day_ms, bucket)
);

INSERT INTO latency_hist_1d
SELECT workspace_id, floor(extract(epoch FROM start_time) * 1000 / 86400000)::bigint * 86400000,
       CASE WHEN latency_ms < 1000 THEN latency_ms
            WHEN latency_ms < 10000 THEN 1000 + latency_ms / 10
            WHEN latency_ms < 100000 THEN 2000 + latency_ms / 100
            WHEN latency_ms < 1000000 THEN 3000 + latency_ms / 1000
            WHEN latency_ms < 10000000 THEN 4000 + latency_ms / 10000
            WHEN latency_ms < 100000000 THEN 5000 + latency_ms / 100000
            WHEN latency_ms < 1000000000 THEN 6000 + latency_ms / 1000000
            ELSE 7000 + least(latency_ms / 10000000, 999) END,
       count(*)
FROM traces GROUP BY 1, 2, 3;

-- The trace list sorted by latency or cost reads its first page from these, newest partition
-- or not, instead of sorting a month of traces.
CREATE INDEX traces_workspace_latency ON traces (workspace_id, latency_ms);
CREATE INDEX traces_workspace_cost ON traces (workspace_id, (coalesce(cost_usd, -1.0)));
