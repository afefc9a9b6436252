-- Effects: durable background deliveries (outbound webhooks and app-enqueued callbacks), a queue
-- of our own on PostgreSQL. Workers claim due rows with FOR UPDATE SKIP LOCKED and hold a lease
-- (locked_until); a node that dies mid-attempt loses its lease and another node (or itself after
-- restart) takes the row again, so an acknowledged enqueue is never lost (at least once).

CREATE TABLE webhook_endpoints (
  id                   text PRIMARY KEY,
  org_id               text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  url                  text NOT NULL,
  description          text,
  events               text[] NOT NULL,
  -- The signing secret, AES-256-GCM under the master key (we must sign with it, so not a hash).
  secret_enc           bytea NOT NULL,
  -- After rotate-secret the old secret also signs until previous_expires_at (24 hours).
  previous_secret_enc  bytea,
  previous_expires_at  timestamptz,
  enabled              boolean NOT NULL DEFAULT true,
  disabled_reason      text,
  -- First failed attempt since the last success; 5 days of nothing but failures disables it.
  failing_since        timestamptz,
  created_by           text,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id);

CREATE TABLE effects (
  id               text PRIMARY KEY,
  -- The Standard Webhooks message id (webhook-id): the receiver's idempotency key. A replay is a
  -- new effect carrying the same message id.
  message_id       text NOT NULL,
  org_id           text NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project_id       text,
  environment_id   text,
  endpoint_id      text REFERENCES webhook_endpoints(id) ON DELETE SET NULL,
  kind             text NOT NULL CHECK (kind IN ('webhook', 'app')),
  event_type       text,
  url              text NOT NULL,
  headers          jsonb NOT NULL DEFAULT '{}',
  payload          text NOT NULL,
  state            text NOT NULL CHECK (state IN ('pending', 'in_flight', 'retrying', 'delivered', 'dead', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  -- Seconds to wait before attempt n+1 (index n-1); its length + 1 is the number of attempts.
  schedule         integer[] NOT NULL,
  next_attempt_at  timestamptz NOT NULL,
  locked_by        text,
  locked_until     timestamptz,
  idempotency_key  text,
  last_status      integer,
  last_error       text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  delivered_at     timestamptz
);
-- The workers' claim query and the status counts read these partial indexes only.
CREATE INDEX effects_due ON effects (next_attempt_at, created_at) WHERE state IN ('pending', 'retrying');
CREATE INDEX effects_leased ON effects (locked_until) WHERE state = 'in_flight';
CREATE INDEX effects_org ON effects (org_id, created_at DESC);
CREATE INDEX effects_endpoint ON effects (endpoint_id, created_at) WHERE endpoint_id IS NOT NULL;
-- One effect per key and project; a key older than 24 hours is released (set to null) on reuse.
CREATE UNIQUE INDEX effects_idempotency ON effects (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE effect_attempts (
  effect_id         text NOT NULL REFERENCES effects(id) ON DELETE CASCADE,
  attempt           integer NOT NULL,
  node              text NOT NULL,
  started_at        timestamptz NOT NULL,
  latency_ms        integer,
  status            integer,
  outcome           text NOT NULL CHECK (outcome IN ('delivered', 'failed', 'returned')),
  error             text,
  -- The receiver's answer, truncated to 1 KiB and with token-shaped text redacted.
  response_snippet  text,
  PRIMARY KEY (effect_id, attempt)
);
