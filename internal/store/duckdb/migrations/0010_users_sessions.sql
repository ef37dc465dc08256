-- Per-user-day sums and session bounds, so that the users' table, the top users and the
-- sessions list do not read a month of traces (see store.UserRollupServes and
-- countSessions). Like the other roll-ups they have no key: each commit appends what its
-- new traces add, a rewrite replaces the rows of the users' days and sessions it touches by
-- sums read again from the traces, readers add the rows of a key up, and the writer folds
-- recent rows into one per key from time to time.

-- Traces of one user (the empty user too) started on one UTC day.
CREATE TABLE user_stats_1d (
    workspace_id   VARCHAR NOT NULL,
    day_ms         BIGINT NOT NULL,   -- epoch ms of the UTC day's start
    user_id        VARCHAR NOT NULL,
    traces         BIGINT NOT NULL,
    success        BIGINT NOT NULL,
    errors         BIGINT NOT NULL,
    timeouts       BIGINT NOT NULL,
    latency_ms     BIGINT NOT NULL,
    priced         BIGINT NOT NULL,
    cost_usd       DOUBLE NOT NULL,
    tokens_input   BIGINT NOT NULL,
    tokens_output  BIGINT NOT NULL,
    tokens_total   BIGINT NOT NULL,
    first_start    TIMESTAMPTZ,
    last_start     TIMESTAMPTZ,
    last_end       TIMESTAMPTZ
);

INSERT INTO user_stats_1d
SELECT workspace_id, epoch_ms(start_time) // 86400000 * 86400000, user_id, count(*),
       count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE status = 'timeout'),
       sum(latency_ms), count(cost_usd), coalesce(sum(cost_usd), 0), coalesce(sum(tokens_input), 0), coalesce(sum(tokens_output), 0),
       coalesce(sum(tokens_total), 0), min(start_time), max(start_time), max(end_time)
FROM traces GROUP BY ALL;

-- The first and last start of every session. Every row's bounds are starts of stored traces
-- of its session, so a row inside a window proves the session active in it. A folded row is
-- a session's only folded row and holds all its traces but those of its unfolded rows, which
-- commits append until the next compaction folds them in: sessions are counted from folded
-- rows without grouping millions of them.
CREATE TABLE session_bounds (
    workspace_id  VARCHAR NOT NULL,
    session_id    VARCHAR NOT NULL,
    first_start   TIMESTAMPTZ NOT NULL,
    last_start    TIMESTAMPTZ NOT NULL,
    folded        BOOLEAN NOT NULL
);

INSERT INTO session_bounds
SELECT workspace_id, session_id, min(start_time), max(start_time), true FROM traces WHERE session_id <> '' GROUP BY ALL;
