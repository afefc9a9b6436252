-- App API key prefixes are unique across the whole server, not per org: secret scanners and
-- people route a leaked key to its owner by its prefix (acme_…), so two orgs must never share one.
-- The unique index decides between concurrent creations; the service turns its violation into a
-- 409 that says so. A server that already holds duplicates stops here, naming them, rather than
-- renaming a prefix that issued keys already carry.
DO $$
DECLARE
  dups text;
BEGIN
  SELECT string_agg(key_prefix, ', ' ORDER BY key_prefix) INTO dups
  FROM (SELECT key_prefix FROM projects GROUP BY key_prefix HAVING count(*) > 1) d;
  IF dups IS NOT NULL THEN
    RAISE EXCEPTION 'key prefixes used by more than one project: %', dups
      USING HINT = 'Give all but one of those projects a new prefix (UPDATE projects SET key_prefix = ''…_'' WHERE id = …; keys issued before keep working), then start again.';
  END IF;
END $$;

CREATE UNIQUE INDEX projects_key_prefix ON projects (key_prefix);
