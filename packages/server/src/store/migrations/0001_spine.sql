-- Platform spine: people, orgs, memberships, invitations, bearer tokens, sign-in flows, audit.

CREATE TABLE users (
  id            text PRIMARY KEY,
  email         text NOT NULL,
  name          text,
  password_hash text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE orgs (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  personal_for  text REFERENCES users(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- Org names match case-insensitively, so they are unique case-insensitively.
CREATE UNIQUE INDEX orgs_name_lower ON orgs (lower(name));

CREATE TABLE memberships (
  org_id     text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE invitations (
  id          text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email       text NOT NULL,
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
  invited_by  text REFERENCES users(id) ON DELETE SET NULL,
  status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'revoked')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  decided_at  timestamptz
);
CREATE INDEX invitations_email ON invitations (lower(email)) WHERE status = 'pending';
CREATE UNIQUE INDEX invitations_one_pending ON invitations (org_id, lower(email)) WHERE status = 'pending';

-- Every platform bearer credential (PATs now; platform and service-account keys later).
-- Only the SHA-256 of a token is stored; the token itself is shown once and never again.
CREATE TABLE tokens (
  id              text PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('pat', 'platform_key', 'service_account_key')),
  token_hash      bytea NOT NULL UNIQUE,
  display_prefix  text NOT NULL,
  name            text NOT NULL,
  user_id         text REFERENCES users(id) ON DELETE CASCADE,
  org_id          text REFERENCES orgs(id) ON DELETE CASCADE,
  scopes          text[],
  created_by      text REFERENCES users(id) ON DELETE SET NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz,
  last_used_at    timestamptz,
  revoked_at      timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id) WHERE kind = 'pat';

-- Browser sessions for the sign-in, consent and device pages.
CREATE TABLE sessions (
  id            text PRIMARY KEY,
  token_hash    bytea NOT NULL UNIQUE,
  user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);

-- Authorization codes of the loopback (PKCE) flow: single use, 60 seconds.
CREATE TABLE oauth_codes (
  code_hash       bytea PRIMARY KEY,
  client_id       text NOT NULL,
  user_id         text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  redirect_uri    text NOT NULL,
  code_challenge  text NOT NULL,
  device_name     text,
  created_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz
);

-- Device authorization grants (RFC 8628).
CREATE TABLE device_grants (
  id                text PRIMARY KEY,
  device_code_hash  bytea NOT NULL UNIQUE,
  user_code         text NOT NULL,
  client_id         text NOT NULL,
  device_name       text,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'redeemed')),
  user_id           text REFERENCES users(id) ON DELETE CASCADE,
  interval_seconds  integer NOT NULL,
  last_polled_at    timestamptz,
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX device_grants_user_code ON device_grants (user_code) WHERE status = 'pending';

-- One-time link that creates the first owner of a production server.
CREATE TABLE setup_tokens (
  token_hash  bytea PRIMARY KEY,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);

-- Written by services in the same transaction as the change it records. Never holds a token,
-- secret value or password. A later migration adds the hash chain.
CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  org_id       text,
  actor_type   text NOT NULL,
  actor_id     text,
  actor_label  text,
  action       text NOT NULL,
  target_type  text,
  target_id    text,
  data         jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip           text,
  request_id   text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_time ON audit_events (org_id, id);
