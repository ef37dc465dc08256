-- Guardrails: where a violation was found, workspace rules and per-category actions.

ALTER TABLE violations ADD COLUMN span_id text NOT NULL DEFAULT '';
ALTER TABLE violations ADD COLUMN direction text NOT NULL DEFAULT '';
ALTER TABLE violations ADD COLUMN score double precision NOT NULL DEFAULT 0;
ALTER TABLE violations ADD COLUMN detector text NOT NULL DEFAULT '';
ALTER TABLE violations ADD COLUMN rule_id text NOT NULL DEFAULT '';
CREATE INDEX violations_workspace_type_time ON violations (workspace_id, type, time DESC);

CREATE TABLE guardrail_rules (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    definition    text NOT NULL,   -- the rule as JSON (model.GuardrailRule)
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE guardrail_settings (
    workspace_id  text PRIMARY KEY,
    actions       text NOT NULL,   -- JSON object: category -> action
    updated_at    timestamptz NOT NULL
);
