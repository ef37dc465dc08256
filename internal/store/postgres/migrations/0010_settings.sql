-- Claiming the first workspace: the hash of the one-time setup secret printed at first
-- start. The row is deleted by the claim, so only one sign-up can use it.
CREATE TABLE setup_secrets (
    workspace_id  VARCHAR PRIMARY KEY,
    hash          VARCHAR NOT NULL,         -- SHA-256 hex of the secret
    created_at    TIMESTAMPTZ NOT NULL
);
