-- The trigrams of each hour's traces, so that a searched trace list reads only the hours
-- that can hold its text (see textindex.go). A row says: some trace of the workspace that
-- starts in the hour has the trigram in its lower-cased name, input or output. Rows are only
-- added while the hour has traces (a rewritten trace's old trigrams stay: harmless, they only
-- make an hour a candidate), and go when retention purges the hour.
CREATE TABLE text_grams (
    workspace_id  VARCHAR NOT NULL,
    hour_ms       BIGINT NOT NULL,   -- epoch ms of the UTC hour's start
    gram          BIGINT NOT NULL    -- three lower-cased runes, 21 bits each (store.NeedleGrams)
);

-- Traces starting before this instant may lack their trigrams: they were stored before the
-- index existed, and the store indexes them hour by hour, newest first, after start-up.
-- Searches read those hours in full until then.
CREATE TABLE text_index_state (
    unindexed_before_ms  BIGINT NOT NULL
);
INSERT INTO text_index_state
SELECT coalesce(max(epoch_ms(start_time)) // 3600000 * 3600000 + 3600000, -9223372036854775807) FROM traces;
