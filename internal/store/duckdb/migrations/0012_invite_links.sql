-- Invites become links: the hash of a secret token sent to the invitee (or shown to the
-- inviter), and an expiry. Invites made before have no token and never expire.
ALTER TABLE invites ADD COLUMN token_hash VARCHAR DEFAULT '';
ALTER TABLE invites ADD COLUMN expires_at TIMESTAMPTZ;
CREATE INDEX invites_token_hash ON invites (token_hash);
