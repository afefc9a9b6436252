-- Cross-node cache invalidation for app API keys (store/notify.ts). Triggers publish on the
-- `latch_events` channel inside the changing transaction, so every writer notifies, cascade
-- deletes (an environment or project removed) included, and only committed changes are heard.
-- Payloads carry SHA-256 key hashes in hex and ids, never a token.

CREATE FUNCTION latch_api_key_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hashes text[] := ARRAY[encode(OLD.key_hash, 'hex')];
  kind text := 'api_key.deleted';
BEGIN
  IF OLD.previous_hash IS NOT NULL THEN
    hashes := hashes || encode(OLD.previous_hash, 'hex');
  END IF;
  IF TG_OP = 'UPDATE' THEN
    kind := CASE
      WHEN NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN 'api_key.revoked'
      WHEN NEW.key_hash <> OLD.key_hash THEN 'api_key.rotated'
      ELSE 'api_key.updated'
    END;
    -- A node may hold a negative entry for the new secret only if someone guessed it; cheap to drop.
    IF NEW.key_hash <> OLD.key_hash THEN
      hashes := hashes || encode(NEW.key_hash, 'hex');
    END IF;
  END IF;
  PERFORM pg_notify('latch_events', json_build_object('kind', kind, 'hashes', hashes)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_deleted_event AFTER DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION latch_api_key_event();

-- Last-used bookkeeping (coalesced, once a minute per key) changes nothing a cache holds.
CREATE TRIGGER api_keys_updated_event AFTER UPDATE ON api_keys
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION latch_api_key_event();

-- Verification reports the key scope's grants from the environment's current manifest.
CREATE FUNCTION latch_manifest_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('latch_events', json_build_object(
    'kind', 'manifest.changed',
    'environmentId', CASE WHEN TG_OP = 'DELETE' THEN OLD.environment_id ELSE NEW.environment_id END
  )::text);
  RETURN NULL;
END $$;

CREATE TRIGGER access_manifests_event AFTER INSERT OR UPDATE OR DELETE ON access_manifests
  FOR EACH ROW EXECUTE FUNCTION latch_manifest_event();

-- Project-wide listings (`latch api-keys list`) page through a project's keys newest first.
CREATE INDEX api_keys_project ON api_keys (project_id, created_at DESC, id DESC);
