-- Accounts: users, their roles per workspace, pending invites, rotating refresh tokens,
-- per-workspace rate limits, and API keys with scopes, creator, expiry and last use.

CREATE TABLE users (
    id             VARCHAR PRIMARY KEY,
    email          VARCHAR NOT NULL UNIQUE, -- normalised (trimmed, lower case)
    name           VARCHAR NOT NULL,
    password_hash  VARCHAR NOT NULL,        -- argon2id, PHC string format
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    workspace_id  VARCHAR NOT NULL,
    user_id       VARCHAR NOT NULL,
    role          VARCHAR NOT NULL,         -- owner | admin | member | viewer
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE invites (
    workspace_id  VARCHAR NOT NULL,
    email         VARCHAR NOT NULL,
    role          VARCHAR NOT NULL,
    invited_by    VARCHAR NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, email)
);

-- One row per issued refresh token; a family is one sign-in session. used_at is set when
-- the token is exchanged; revoked_at on logout or when a used token is presented again.
CREATE TABLE refresh_tokens (
    id            VARCHAR PRIMARY KEY,
    family_id     VARCHAR NOT NULL,
    user_id       VARCHAR NOT NULL,
    workspace_id  VARCHAR NOT NULL,
    hash          VARCHAR NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);

CREATE TABLE workspace_limits (
    workspace_id     VARCHAR PRIMARY KEY,
    key_rate         DOUBLE NOT NULL,
    key_burst        INTEGER NOT NULL,
    workspace_rate   DOUBLE NOT NULL,
    workspace_burst  INTEGER NOT NULL
);

-- DuckDB cannot add constrained columns in place, so api_keys is rebuilt. Keys of the core
-- issue hold both scopes and keep their plain SHA-256 hash (hash_scheme 'sha256') until
-- first use, when they are re-hashed with the keyed hash.
CREATE TABLE api_keys_v2 (
    id            VARCHAR PRIMARY KEY,
    workspace_id  VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    prefix        VARCHAR NOT NULL,
    last4         VARCHAR NOT NULL,
    hash          VARCHAR NOT NULL UNIQUE,
    hash_scheme   VARCHAR NOT NULL,         -- hmac-sha256 | sha256 (before keyed hashes)
    scopes        VARCHAR[] NOT NULL,
    created_by    VARCHAR NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
INSERT INTO api_keys_v2
    SELECT id, workspace_id, name, prefix, '', hash, 'sha256', ['ingest', 'read'], '', created_at, NULL, NULL, revoked_at
    FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_v2 RENAME TO api_keys;
