-- Workspace evaluator definitions: every save is a new version; a deleted evaluator keeps
-- its versions (past verdicts name them) and is hidden.

CREATE TABLE evaluator_defs (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    definition    VARCHAR NOT NULL,   -- the definition as JSON (model.EvaluatorDef)
    deleted       BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id, version)
);

-- A span-scoped evaluation names its span.
ALTER TABLE evaluations ADD COLUMN span_id VARCHAR DEFAULT '';
