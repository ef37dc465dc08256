-- Alerting: rules, the evaluator's per-group state and its history, silences, notification
-- channels (their secrets encrypted by the application), the durable notification queue,
-- and a lease so that one process evaluates at a time. The alerts table holds episodes.

CREATE TABLE alert_rules (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    spec          VARCHAR NOT NULL, -- JSON of model.AlertRule
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE alert_instances (
    workspace_id  VARCHAR NOT NULL,
    rule_id       VARCHAR NOT NULL,
    group_key     VARCHAR NOT NULL,
    spec          VARCHAR NOT NULL, -- JSON of model.AlertInstance
    PRIMARY KEY (workspace_id, rule_id, group_key)
);

CREATE TABLE alert_evaluations (
    workspace_id  VARCHAR NOT NULL,
    rule_id       VARCHAR NOT NULL,
    group_key     VARCHAR NOT NULL,
    alert_id      VARCHAR NOT NULL,
    time          TIMESTAMPTZ NOT NULL,
    state         VARCHAR NOT NULL,
    value         DOUBLE,
    baseline      DOUBLE,
    p_value       DOUBLE,
    samples       BIGINT NOT NULL,
    window_from   TIMESTAMPTZ NOT NULL,
    window_to     TIMESTAMPTZ NOT NULL,
    message       VARCHAR NOT NULL
);

ALTER TABLE alerts ADD COLUMN group_key VARCHAR DEFAULT '';
ALTER TABLE alerts ADD COLUMN labels VARCHAR DEFAULT '{}';
ALTER TABLE alerts ADD COLUMN value DOUBLE DEFAULT 0;
ALTER TABLE alerts ADD COLUMN threshold DOUBLE DEFAULT 0;
ALTER TABLE alerts ADD COLUMN acknowledged_at TIMESTAMPTZ;
ALTER TABLE alerts ADD COLUMN acknowledged_by VARCHAR DEFAULT '';
ALTER TABLE alerts ADD COLUMN last_error VARCHAR DEFAULT '';

CREATE TABLE silences (
    workspace_id  VARCHAR NOT NULL,
    id            VARCHAR NOT NULL,
    spec          VARCHAR NOT NULL, -- JSON of model.Silence
    ends_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE integrations (
    workspace_id  VARCHAR NOT NULL,
    type          VARCHAR NOT NULL,
    config_enc    VARCHAR NOT NULL, -- sealed JSON configuration, base64
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, type)
);

-- id is the deduplication key: a notification is enqueued at most once.
CREATE TABLE notifications (
    workspace_id   VARCHAR NOT NULL,
    id             VARCHAR NOT NULL,
    alert_id       VARCHAR NOT NULL,
    channel        VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    payload        VARCHAR NOT NULL,
    state          VARCHAR NOT NULL,
    attempts       BIGINT NOT NULL,
    next_at        TIMESTAMPTZ NOT NULL,
    claimed_until  TIMESTAMPTZ NOT NULL,
    last_error     VARCHAR NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    sent_at        TIMESTAMPTZ,
    PRIMARY KEY (workspace_id, id)
);

-- Notification groups (rule and channel): when the group last sent and what it said.
CREATE TABLE alert_groups (
    workspace_id  VARCHAR NOT NULL,
    group_key     VARCHAR NOT NULL,
    spec          VARCHAR NOT NULL,
    PRIMARY KEY (workspace_id, group_key)
);

CREATE TABLE alert_leases (
    name        VARCHAR PRIMARY KEY,
    holder      VARCHAR NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
