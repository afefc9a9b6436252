-- Last-used bookkeeping writes every key a node verified, once a minute per key, in statements of
-- 500 rows (services/last-used.ts): at a burst of new keys that is as much PostgreSQL work as the
-- verification look-ups themselves (about 50 µs a row at a million keys), and it arrives in a
-- lump every 5 s, while verifications wait for the same cores. Two things made a row cost that:
--
-- * The change trigger's WHEN clause turned OLD and NEW into jsonb on every row the statement
--   touched, only to find that just last_used_at moved. Listing the columns makes PostgreSQL skip
--   the trigger outright for an UPDATE that sets only last_used_at; the WHEN clause still decides
--   for the rest, as before. The list is every column but last_used_at: a test compares it with
--   the table's columns, so a column added later cannot slip past the trigger.
-- * Full pages: an updated row that does not fit on its page is a new index entry in all five
--   indexes. With room left on each page, a last_used_at update (no indexed column changes) is a
--   heap-only tuple and touches no index. Pages written from now on keep 10% free; existing pages
--   get it when the table is next rewritten.
DROP TRIGGER api_keys_updated_event ON api_keys;
CREATE TRIGGER api_keys_updated_event
  AFTER UPDATE OF id, org_id, project_id, environment_id, name, scope, key_hash, display_prefix,
                  previous_hash, previous_expires_at, rotated_at, metadata, created_by_type,
                  created_by, created_at, expires_at, revoked_at
  ON api_keys
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION latch_key_event();

ALTER TABLE api_keys SET (fillfactor = 90);
