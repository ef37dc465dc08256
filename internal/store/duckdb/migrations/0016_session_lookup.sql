-- session_bounds again, in order of last start and with a hash of each session id. Scans of
-- a window (counting sessions) then skip the row groups of older sessions by their zone
-- maps, and a session is found by comparing integers instead of every session id's text.
-- Commits append recent sessions at the end, which keeps the order roughly by time.
CREATE TABLE session_bounds_by_time (
    workspace_id  VARCHAR NOT NULL,
    session_id    VARCHAR NOT NULL,
    first_start   TIMESTAMPTZ NOT NULL,
    last_start    TIMESTAMPTZ NOT NULL,
    folded        BOOLEAN NOT NULL,
    id_hash       UBIGINT NOT NULL   -- md5_number_lower(session_id); the writer computes it in Go alike
);

INSERT INTO session_bounds_by_time
SELECT workspace_id, session_id, first_start, last_start, folded, md5_number_lower(session_id)
FROM session_bounds ORDER BY last_start;

DROP TABLE session_bounds;
ALTER TABLE session_bounds_by_time RENAME TO session_bounds;
