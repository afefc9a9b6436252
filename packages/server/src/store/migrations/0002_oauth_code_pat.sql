-- Which PAT an authorization code was exchanged for: a replayed code revokes it (RFC 6749 §4.1.2).
ALTER TABLE oauth_codes ADD COLUMN pat_id text REFERENCES tokens(id) ON DELETE SET NULL;
-- Expired codes and grants are purged by age.
CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at);
CREATE INDEX device_grants_expires ON device_grants (expires_at);
