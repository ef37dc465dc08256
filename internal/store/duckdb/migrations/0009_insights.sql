-- Insights: stored analyses with their history (findings, deterministic text, narration and
-- what the narration cost), the Impact page's goals and settings. Events already exist.

CREATE TABLE insights (
    workspace_id        VARCHAR NOT NULL,
    id                  VARCHAR NOT NULL,
    kind                VARCHAR NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    window_from         TIMESTAMPTZ NOT NULL,
    window_to           TIMESTAMPTZ NOT NULL,
    narration_cost_usd  DOUBLE NOT NULL,
    spec                VARCHAR NOT NULL, -- JSON of model.InsightRun
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE goals (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    spec          VARCHAR NOT NULL, -- JSON of model.Goal
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE impact_settings (
    workspace_id  VARCHAR PRIMARY KEY,
    spec          VARCHAR NOT NULL -- JSON of model.ImpactSettings
);
