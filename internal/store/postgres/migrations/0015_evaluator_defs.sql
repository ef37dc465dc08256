-- Workspace evaluator definitions: every save is a new version; a deleted evaluator keeps
-- its versions (past verdicts name them) and is hidden.

CREATE TABLE evaluator_defs (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    version       integer NOT NULL,
    definition    text NOT NULL,  -- the definition as JSON (model.EvaluatorDef)
    deleted       boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id, version)
);

-- A span-scoped evaluation names its span.
ALTER TABLE evaluations ADD COLUMN span_id text NOT NULL DEFAULT '';
