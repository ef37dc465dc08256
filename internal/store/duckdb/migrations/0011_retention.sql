-- How many days of traces a workspace keeps; a workspace without a row keeps everything.
CREATE TABLE workspace_retention (
    workspace_id  VARCHAR PRIMARY KEY,
    days          INTEGER NOT NULL,   -- 0 keeps everything
    updated_at    TIMESTAMPTZ NOT NULL
);
