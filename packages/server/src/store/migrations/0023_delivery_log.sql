-- Deliveries in the environment log (`latch logs --type delivery`, issue 13).
--
-- Every delivery attempt takes a log position like usage and audit rows (0016): the id of the
-- transaction that recorded it (xid8) and a row number. Readers only take rows of transactions
-- older than their snapshot's xmin, so a stream resumed after an event id neither loses nor
-- repeats an attempt. The attempt carries its effect's environment (webhook events take theirs
-- from the change that caused them), so reading an environment's deliveries is one index range.
ALTER TABLE effect_attempts
  ADD COLUMN log_id bigint GENERATED ALWAYS AS IDENTITY,
  ADD COLUMN log_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  ADD COLUMN environment_id text;

UPDATE effect_attempts a SET environment_id = e.environment_id
FROM effects e WHERE e.id = a.effect_id AND e.environment_id IS NOT NULL;

CREATE INDEX effect_attempts_env_log ON effect_attempts (environment_id, log_xid, log_id)
  WHERE environment_id IS NOT NULL;
