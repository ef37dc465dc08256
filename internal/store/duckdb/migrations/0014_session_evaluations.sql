-- A session-scoped evaluation names its session (its trace_id is ''), and every evaluation
-- that called the judge names the trace of those calls in the workspace's judge companion.
ALTER TABLE evaluations ADD COLUMN session_id VARCHAR DEFAULT '';
ALTER TABLE evaluations ADD COLUMN judge_trace_id VARCHAR DEFAULT '';
