-- Accounts, the PostgreSQL twin of DuckDB's 0002: users, their roles per workspace, pending
-- invites, rotating refresh tokens, per-workspace rate limits, and API keys with scopes,
-- creator, expiry and last use.

CREATE TABLE users (
    id             text PRIMARY KEY,
    email          text NOT NULL UNIQUE, -- normalised (trimmed, lower case)
    name           text NOT NULL,
    password_hash  text NOT NULL,        -- argon2id, PHC string format
    created_at     timestamptz NOT NULL
);

CREATE TABLE memberships (
    workspace_id  text NOT NULL,
    user_id       text NOT NULL,
    role          text NOT NULL,         -- owner | admin | member | viewer
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invites (
    workspace_id  text NOT NULL,
    email         text NOT NULL,
    role          text NOT NULL,
    invited_by    text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, email)
);
CREATE INDEX invites_email ON invites (email);

-- One row per issued refresh token; a family is one sign-in session.
CREATE TABLE refresh_tokens (
    id            text PRIMARY KEY,
    family_id     text NOT NULL,
    user_id       text NOT NULL,
    workspace_id  text NOT NULL,
    hash          text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

CREATE TABLE workspace_limits (
    workspace_id     text PRIMARY KEY,
    key_rate         double precision NOT NULL,
    key_burst        integer NOT NULL,
    workspace_rate   double precision NOT NULL,
    workspace_burst  integer NOT NULL
);

-- Keys of the core schema hold both scopes and keep their plain SHA-256 hash (hash_scheme
-- 'sha256') until first use, when they are re-hashed with the keyed hash.
ALTER TABLE api_keys
    ADD COLUMN last4 text NOT NULL DEFAULT '',
    ADD COLUMN hash_scheme text NOT NULL DEFAULT 'sha256',
    ADD COLUMN scopes text[] NOT NULL DEFAULT ARRAY['ingest', 'read'],
    ADD COLUMN created_by text NOT NULL DEFAULT '',
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN expires_at timestamptz;
