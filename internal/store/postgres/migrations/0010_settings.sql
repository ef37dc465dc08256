-- Claiming the first workspace: the hash of the one-time setup secret printed at first
-- start. The row is deleted by the claim, so only one sign-up can use it.
CREATE TABLE setup_secrets (
    workspace_id  TEXT PRIMARY KEY,
    hash          TEXT NOT NULL,            -- SHA-256 hex of the secret
    created_at    TIMESTAMPTZ NOT NULL
);

-- General settings of a workspace.
ALTER TABLE workspaces ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE workspaces ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';  -- IANA name; '' means UTC

-- Who changed what (keys, members, rules, settings), with time and client address.
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    occurred_at   TIMESTAMPTZ NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_email   TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    detail        TEXT,                     -- JSON text
    ip            TEXT NOT NULL
);
CREATE INDEX audit_log_workspace_at ON audit_log (workspace_id, occurred_at DESC, id DESC);
