-- Single sign-on: which upstream identity (issuer + subject) signs in as which user. The subject
-- is the provider's stable id for the person; the email is what it said when the link was made,
-- for people to recognise the link by, never for matching.
CREATE TABLE identity_links (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  issuer text NOT NULL,
  subject text NOT NULL,
  email text,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE UNIQUE INDEX identity_links_issuer_subject ON identity_links (issuer, subject);
CREATE INDEX identity_links_user ON identity_links (user_id);

-- An SSO sign-in in progress: PKCE verifier, nonce and where to go afterwards, found by the hash
-- of its state and used once. The browser holds the state in a cookie, so a callback started in
-- another browser (login CSRF) matches nothing.
CREATE TABLE sso_requests (
  state_hash bytea PRIMARY KEY,
  code_verifier text NOT NULL,
  nonce text NOT NULL,
  next text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX sso_requests_expires ON sso_requests (expires_at);
