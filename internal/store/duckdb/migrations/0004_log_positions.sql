-- How far each write-ahead log is committed; written in the same transaction as the traces
-- it covers (internal/queue/wal).
CREATE TABLE log_positions (
    log_id VARCHAR PRIMARY KEY,
    seq    BIGINT NOT NULL
);
