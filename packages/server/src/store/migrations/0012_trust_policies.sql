-- Workload-identity trust policies: an OIDC token from `issuer` for `audience` whose claims match
-- every rule of `claims` ([{claim, value, glob?}]) exchanges for a platform key with `scopes`,
-- living `ttl_seconds`, that acts for `created_by` (and is suspended when they lose the scopes).
CREATE TABLE trust_policies (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name text NOT NULL,
  issuer text NOT NULL,
  audience text NOT NULL,
  claims jsonb NOT NULL,
  scopes text[] NOT NULL,
  ttl_seconds integer NOT NULL CHECK (ttl_seconds BETWEEN 60 AND 3600),
  created_by text,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz
);
CREATE INDEX trust_policies_org_issuer ON trust_policies (org_id, issuer);

-- Which policy issued a platform key: deleting the policy revokes what it issued.
ALTER TABLE tokens ADD COLUMN trust_policy_id text;
CREATE INDEX tokens_trust_policy ON tokens (trust_policy_id) WHERE trust_policy_id IS NOT NULL;
