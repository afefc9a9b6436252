-- One key-event log shared by every node (issue 16, items 2 and 3). Until now each node numbered
-- the NOTIFY events it heard in its own memory, so an SDK that lost its stream (its node died, or
-- the node's listener dropped during a database outage) could not resume anywhere else and had to
-- drop its whole cache. Now each change to an API key or a manifest is a row here, written by the
-- same triggers in the changing transaction, and the NOTIFY carries the row's id:
--   * an SDK resumes on any node from the last id it applied (the node replays from this table);
--   * a node whose listener was away reads the rows it missed instead of dropping its caches.
-- Ids come from a sequence, and a transaction can commit after one with a larger id. Evictions are
-- idempotent, so readers replay with a margin (rows written up to a minute before the position)
-- rather than trusting the order. Rows hold key hashes (hex) and ids, never a token; old rows are
-- deleted by the server after a day (a client further behind starts over with an empty cache).
CREATE TABLE key_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  environment_id  text NOT NULL,
  kind            text NOT NULL,
  hashes          text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX key_events_env ON key_events (environment_id, id);
CREATE INDEX key_events_at ON key_events (at);

-- The two per-key triggers of 0004 and 0005 become one, which logs the change and notifies once.
DROP TRIGGER api_keys_deleted_event ON api_keys;
DROP TRIGGER api_keys_updated_event ON api_keys;
DROP TRIGGER api_keys_deleted_sdk_event ON api_keys;
DROP TRIGGER api_keys_updated_sdk_event ON api_keys;
DROP TRIGGER access_manifests_event ON access_manifests;
DROP FUNCTION latch_api_key_event();
DROP FUNCTION latch_sdk_key_event();
DROP FUNCTION latch_manifest_event();

CREATE FUNCTION latch_key_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hashes text[] := ARRAY[encode(OLD.key_hash, 'hex')];
  change text := 'deleted';
  event_id bigint;
BEGIN
  IF OLD.previous_hash IS NOT NULL THEN
    hashes := hashes || encode(OLD.previous_hash, 'hex');
  END IF;
  IF TG_OP = 'UPDATE' THEN
    change := CASE
      WHEN NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN 'revoked'
      WHEN NEW.key_hash <> OLD.key_hash THEN 'rotated'
      ELSE 'updated'
    END;
    -- A node may hold a negative entry for the new secret only if someone guessed it; cheap to drop.
    IF NEW.key_hash <> OLD.key_hash THEN
      hashes := hashes || encode(NEW.key_hash, 'hex');
    END IF;
  END IF;
  INSERT INTO key_events (environment_id, kind, hashes) VALUES (OLD.environment_id, change, hashes)
    RETURNING id INTO event_id;
  PERFORM pg_notify('latch_events', json_build_object(
    'kind', 'sdk.key', 'id', event_id, 'change', change, 'environmentId', OLD.environment_id, 'hashes', hashes
  )::text);
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_deleted_event AFTER DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION latch_key_event();

-- Last-used bookkeeping (coalesced, once a minute per key) changes nothing a cache holds.
CREATE TRIGGER api_keys_updated_event AFTER UPDATE ON api_keys
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION latch_key_event();

-- Verification reports the key scope's grants from the environment's current manifest.
CREATE FUNCTION latch_manifest_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  env text := CASE WHEN TG_OP = 'DELETE' THEN OLD.environment_id ELSE NEW.environment_id END;
  event_id bigint;
BEGIN
  INSERT INTO key_events (environment_id, kind) VALUES (env, 'manifest') RETURNING id INTO event_id;
  PERFORM pg_notify('latch_events', json_build_object(
    'kind', 'manifest.changed', 'id', event_id, 'environmentId', env
  )::text);
  RETURN NULL;
END $$;

CREATE TRIGGER access_manifests_event AFTER INSERT OR UPDATE OR DELETE ON access_manifests
  FOR EACH ROW EXECUTE FUNCTION latch_manifest_event();
