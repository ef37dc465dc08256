-- How many days of traces a workspace keeps; a workspace without a row keeps everything.
CREATE TABLE workspace_retention (
    workspace_id  text PRIMARY KEY,
    days          integer NOT NULL,   -- 0 keeps everything
    updated_at    timestamptz NOT NULL
);
