-- Credentials: projects, environments, declared scopes, service accounts, platform keys, app API keys.

CREATE TABLE projects (
  id          text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name        text NOT NULL,
  -- App API keys of this project start with it, e.g. `acme_`.
  key_prefix  text NOT NULL,
  created_by  text REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX projects_org_name ON projects (org_id, lower(name));

CREATE TABLE environments (
  id          text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project_id  text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{0,39}$'),
  created_by  text REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, name)
);

-- Each push of the access manifest to an environment; the newest row is in force.
CREATE TABLE access_manifests (
  id              text PRIMARY KEY,
  org_id          text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project_id      text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  environment_id  text NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  version         integer NOT NULL,
  manifest        jsonb NOT NULL,
  pushed_by       text,
  pushed_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, version)
);

CREATE TABLE service_accounts (
  id          text PRIMARY KEY,
  org_id      text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name        text NOT NULL,
  role        text NOT NULL CHECK (role IN ('admin', 'developer', 'viewer')),
  created_by  text REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  deleted_at  timestamptz
);
CREATE UNIQUE INDEX service_accounts_org_name ON service_accounts (org_id, lower(name)) WHERE deleted_at IS NULL;

-- Platform and service-account keys live in `tokens`. Rotation keeps the old secret's hash
-- working until the grace period ends.
ALTER TABLE tokens
  ADD COLUMN service_account_id   text REFERENCES service_accounts(id) ON DELETE CASCADE,
  ADD COLUMN previous_hash        bytea UNIQUE,
  ADD COLUMN previous_expires_at  timestamptz,
  ADD COLUMN rotated_at           timestamptz;
CREATE INDEX tokens_org ON tokens (org_id) WHERE org_id IS NOT NULL;

CREATE TABLE api_keys (
  id                   text PRIMARY KEY,
  org_id               text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project_id           text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  environment_id       text NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  name                 text NOT NULL,
  scope                text NOT NULL,
  key_hash             bytea NOT NULL UNIQUE,
  display_prefix       text NOT NULL,
  previous_hash        bytea UNIQUE,
  previous_expires_at  timestamptz,
  rotated_at           timestamptz,
  metadata             jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by_type      text NOT NULL,
  created_by           text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  expires_at           timestamptz,
  last_used_at         timestamptz,
  revoked_at           timestamptz
);
CREATE INDEX api_keys_env ON api_keys (environment_id, created_at DESC, id DESC);
