-- Pushed invalidation for app SDKs (GET …/projects/:project/events). The cross-node events of
-- migration 0004 carry only hashes; an SDK stream serves one environment, so these carry the
-- environment too, and a stream can forward exactly its own keys' changes (never another
-- tenant's). Same channel, a kind the node caches ignore; payloads hold hashes and ids, never a token.

CREATE FUNCTION latch_sdk_key_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  hashes text[] := ARRAY[encode(OLD.key_hash, 'hex')];
  change text := 'deleted';
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
  END IF;
  PERFORM pg_notify('latch_events', json_build_object(
    'kind', 'sdk.key', 'change', change, 'environmentId', OLD.environment_id, 'hashes', hashes
  )::text);
  RETURN NULL;
END $$;

CREATE TRIGGER api_keys_deleted_sdk_event AFTER DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION latch_sdk_key_event();

-- Last-used bookkeeping changes nothing an SDK caches.
CREATE TRIGGER api_keys_updated_sdk_event AFTER UPDATE ON api_keys
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION latch_sdk_key_event();
