-- Alerting: rules, the evaluator's per-group state and its history, silences, notification
-- channels (their secrets encrypted by the application), the durable notification queue,
-- and a lease so that one process evaluates at a time. The alerts table holds episodes.

CREATE TABLE alert_rules (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    spec          text NOT NULL, -- JSON of model.AlertRule
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE alert_instances (
    workspace_id  text NOT NULL,
    rule_id       text NOT NULL,
    group_key     text NOT NULL,
    spec          text NOT NULL, -- JSON of model.AlertInstance
    PRIMARY KEY (workspace_id, rule_id, group_key)
);

CREATE TABLE alert_evaluations (
    workspace_id  text NOT NULL,
    rule_id       text NOT NULL,
    group_key     text NOT NULL,
    alert_id      text NOT NULL,
    time          timestamptz NOT NULL,
    state         text NOT NULL,
    value         double precision,
    baseline      double precision,
    p_value       double precision,
    samples       bigint NOT NULL,
    window_from   timestamptz NOT NULL,
    window_to     timestamptz NOT NULL,
    message       text NOT NULL
);

ALTER TABLE alerts ADD COLUMN group_key text DEFAULT '';
ALTER TABLE alerts ADD COLUMN labels text DEFAULT '{}';
ALTER TABLE alerts ADD COLUMN value double precision DEFAULT 0;
ALTER TABLE alerts ADD COLUMN threshold double precision DEFAULT 0;
ALTER TABLE alerts ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE alerts ADD COLUMN acknowledged_by text DEFAULT '';
ALTER TABLE alerts ADD COLUMN last_error text DEFAULT '';

CREATE TABLE silences (
    workspace_id  text NOT NULL,
    id            text NOT NULL,
    spec          text NOT NULL, -- JSON of model.Silence
    ends_at       timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE integrations (
    workspace_id  text NOT NULL,
    type          text NOT NULL,
    config_enc    text NOT NULL, -- sealed JSON configuration, base64
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, type)
);

-- id is the deduplication key: a notification is enqueued at most once.
CREATE TABLE notifications (
    workspace_id   text NOT NULL,
    id             text NOT NULL,
    alert_id       text NOT NULL,
    channel        text NOT NULL,
    kind           text NOT NULL,
    payload        text NOT NULL,
    state          text NOT NULL,
    attempts       bigint NOT NULL,
    next_at        timestamptz NOT NULL,
    claimed_until  timestamptz NOT NULL,
    last_error     text NOT NULL,
    created_at     timestamptz NOT NULL,
    sent_at        timestamptz,
    PRIMARY KEY (workspace_id, id)
);

-- Notification groups (rule and channel): when the group last sent and what it said.
CREATE TABLE alert_groups (
    workspace_id  text NOT NULL,
    group_key     text NOT NULL,
    spec          text NOT NULL,
    PRIMARY KEY (workspace_id, group_key)
);

CREATE TABLE alert_leases (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    expires_at  timestamptz NOT NULL
);

CREATE INDEX alert_evaluations_group ON alert_evaluations (workspace_id, rule_id, group_key, time);
CREATE INDEX notifications_due ON notifications (state, next_at);
