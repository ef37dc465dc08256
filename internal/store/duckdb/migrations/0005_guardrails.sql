-- Guardrails: where a violation was found, workspace rules and per-category actions.

ALTER TABLE violations ADD COLUMN span_id VARCHAR DEFAULT '';
ALTER TABLE violations ADD COLUMN direction VARCHAR DEFAULT '';
ALTER TABLE violations ADD COLUMN score DOUBLE DEFAULT 0;
ALTER TABLE violations ADD COLUMN detector VARCHAR DEFAULT '';
ALTER TABLE violations ADD COLUMN rule_id VARCHAR DEFAULT '';

CREATE TABLE guardrail_rules (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    definition    VARCHAR NOT NULL,   -- the rule as JSON (model.GuardrailRule)
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE guardrail_settings (
    workspace_id  VARCHAR PRIMARY KEY,
    actions       VARCHAR NOT NULL,   -- JSON object: category -> action
    updated_at    TIMESTAMPTZ NOT NULL
);
