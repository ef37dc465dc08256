-- Claiming the first workspace: the hash of the one-time setup secret printed at first
-- start. The row is deleted by the claim, so only one sign-up can use it.
CREATE TABLE setup_secrets (
    workspace_id  VARCHAR PRIMARY KEY,
    hash          VARCHAR NOT NULL,         -- SHA-256 hex of the secret
    created_at    TIMESTAMPTZ NOT NULL
);

-- General settings of a workspace.
ALTER TABLE workspaces ADD COLUMN description VARCHAR DEFAULT '';
ALTER TABLE workspaces ADD COLUMN time_zone VARCHAR DEFAULT '';  -- IANA name; '' means UTC

-- Who changed what (keys, members, rules, settings), with time and client address.
CREATE TABLE audit_log (
    id            VARCHAR PRIMARY KEY,
    workspace_id  VARCHAR NOT NULL,
    occurred_at   TIMESTAMPTZ NOT NULL,
    actor_id      VARCHAR NOT NULL,
    actor_email   VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,
    target        VARCHAR NOT NULL,
    detail        VARCHAR,                  -- JSON text
    ip            VARCHAR NOT NULL
);
CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, occurred_at);
