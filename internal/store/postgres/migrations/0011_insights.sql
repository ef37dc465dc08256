-- Insights: stored analyses with their history (findings, deterministic text, narration and
-- what the narration cost), the Impact page's goals and settings. Events already exist.

CREATE TABLE insights (
    workspace_id        text NOT NULL,
    id                  text NOT NULL,
    kind                text NOT NULL,
    created_at          timestamptz NOT NULL,
    window_from         timestamptz NOT NULL,
    window_to           timestamptz NOT NULL,
    narration_cost_usd  double precision NOT NULL,
    spec                text NOT NULL, -- JSON of model.InsightRun
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE goals (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    spec          text NOT NULL, -- JSON of model.Goal
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE impact_settings (
    workspace_id  text PRIMARY KEY,
    spec          text NOT NULL -- JSON of model.ImpactSettings
);
