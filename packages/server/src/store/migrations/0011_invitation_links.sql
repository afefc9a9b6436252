-- Invitation links and password-reset links: single-use bearer links. Only the SHA-256 of each
-- token is stored; the token itself is in the link (emailed, or printed once) and nowhere else.
-- Invitations made before this migration have no link: they are still accepted through the API.
ALTER TABLE invitations ADD COLUMN token_hash bytea;
CREATE UNIQUE INDEX invitations_token_hash ON invitations (token_hash) WHERE token_hash IS NOT NULL;

CREATE TABLE password_resets (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  -- 'email' (asked for on the sign-in page) or 'operator' (`latch server reset-password`).
  via         text NOT NULL CHECK (via IN ('email', 'operator')),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id) WHERE used_at IS NULL;
