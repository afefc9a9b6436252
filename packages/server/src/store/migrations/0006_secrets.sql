-- Secrets, releases and per-environment data keys (SPEC section 7).

-- Server-wide facts, e.g. the master key check: an HMAC made with the master key, compared at
-- start-up so a wrong LATCH_MASTER_KEY refuses to start instead of serving integrity errors.
CREATE TABLE server_meta (
  key         text PRIMARY KEY,
  value       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One data key per environment, wrapped (AES-256-GCM) by the master key. Rotating the master key
-- rewrites only these rows; secret values stay as they are.
CREATE TABLE environment_keys (
  environment_id  text PRIMARY KEY REFERENCES environments(id) ON DELETE CASCADE,
  org_id          text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  wrapped_key     bytea NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  rewrapped_at    timestamptz
);

-- Every change of a secret is a new row; the newest version of a name is its current state.
-- `ciphertext` is null for an unset. Values are encrypted with the environment's data key and
-- associated data binding org, project, environment, name and version.
CREATE TABLE secret_versions (
  id               text PRIMARY KEY,
  org_id           text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project_id       text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  environment_id   text NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (name ~ '^[A-Z][A-Z0-9_]*$' AND length(name) <= 256),
  version          integer NOT NULL CHECK (version > 0),
  ciphertext       bytea,
  action           text NOT NULL CHECK (action IN ('set', 'unset', 'rollback', 'import', 'managed')),
  rolled_back_to   integer,
  managed          boolean NOT NULL DEFAULT false,
  created_by_type  text NOT NULL,
  created_by       text,
  created_by_label text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, name, version)
);
-- "The newest version of each name" scans this index backwards per name.
CREATE INDEX secret_versions_current ON secret_versions (environment_id, name, version DESC);

CREATE TABLE releases (
  id                text PRIMARY KEY,
  org_id            text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project_id        text NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  environment_id    text NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
  number            integer NOT NULL CHECK (number > 0),
  message           text,
  manifest_version  integer,
  rollback_of       integer,
  variables         integer NOT NULL,
  created_by_type   text NOT NULL,
  created_by        text,
  created_by_label  text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (environment_id, number)
);
CREATE INDEX releases_project ON releases (project_id, created_at DESC, id DESC);

-- The secret versions a release pins: what `latch run` and loadSecrets() read.
CREATE TABLE release_secrets (
  release_id         text NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
  name               text NOT NULL,
  secret_version_id  text NOT NULL REFERENCES secret_versions(id) ON DELETE CASCADE,
  version            integer NOT NULL,
  PRIMARY KEY (release_id, name)
);
CREATE INDEX release_secrets_version ON release_secrets (secret_version_id);

-- Releases and secret versions are history: rows may go with their environment, never change.
CREATE FUNCTION latch_immutable_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER secret_versions_immutable BEFORE UPDATE ON secret_versions
  FOR EACH ROW EXECUTE FUNCTION latch_immutable_row();
CREATE TRIGGER releases_immutable BEFORE UPDATE ON releases
  FOR EACH ROW EXECUTE FUNCTION latch_immutable_row();
CREATE TRIGGER release_secrets_immutable BEFORE UPDATE ON release_secrets
  FOR EACH ROW EXECUTE FUNCTION latch_immutable_row();

-- A per-environment database (LATCH_APP_DATABASE_URL): its name and login role, so deleting the
-- environment can drop them. The password lives only in the managed DATABASE_URL secret.
CREATE TABLE environment_databases (
  environment_id  text PRIMARY KEY,
  org_id          text NOT NULL,
  database_name   text NOT NULL UNIQUE,
  role_name       text NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now()
);
