-- Tamper-evident audit log (issue 12, item 1). Each org's rows form a hash chain; rows with
-- org_id NULL (system events) form a chain of their own.
--
-- seq is the row's position in its chain (1, 2, 3, … with no gap); prev_hash is the hash of the
-- row before it (32 zero bytes for the first) and hash the SHA-256 of the row's canonical encoding
-- (services/audit/chain-encoding.ts), which covers prev_hash. Rows written before this migration
-- have seq NULL: the server chains them at start-up (services/audit/chain-backfill.ts), in id
-- order, because the encoding is computed in Node and cannot be reproduced in SQL.
ALTER TABLE audit_events
  ADD COLUMN seq        bigint,
  ADD COLUMN prev_hash  bytea,
  ADD COLUMN hash       bytea;

-- One position per chain: a forked chain (two rows claiming the same seq) cannot be stored. Two
-- partial indexes because a NULL org_id is not equal to itself in a plain unique index. They also
-- serve verification (keyset reads in seq order) and listing (newest first).
CREATE UNIQUE INDEX audit_events_org_seq ON audit_events (org_id, seq) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX audit_events_system_seq ON audit_events (seq) WHERE org_id IS NULL;
-- Start-up finds rows still to chain without scanning the table.
CREATE INDEX audit_events_unchained ON audit_events (id) WHERE seq IS NULL;
DROP INDEX audit_events_org_time;

-- The head of each chain. Appenders lock their chain's row (an upsert, inside the transaction of
-- the change they record), so writers of one org queue behind each other while other orgs'
-- writers go on: no global lock, and the lock lasts until the change commits or rolls back, so a
-- rolled-back change leaves no gap. chain is the org id, or '' for the system chain (org ids
-- always start with `org_`).
-- prev_hash and at are the last row's: the append reads them back from its upsert.
CREATE TABLE audit_chain_heads (
  chain       text PRIMARY KEY,
  seq         bigint NOT NULL,
  hash        bytea NOT NULL,
  prev_hash   bytea,
  at          timestamptz NOT NULL DEFAULT '-infinity',
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Signed statements of a chain's head (services/audit/checkpoints.ts). A copy kept outside
-- Latchkey is the proof: these rows only help the periodic trigger and `checkpoint` answers.
CREATE TABLE audit_checkpoints (
  id          bigserial PRIMARY KEY,
  chain       text NOT NULL,
  org_id      text,
  seq         bigint NOT NULL,
  head_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   bytea NOT NULL,
  UNIQUE (chain, seq)
);
