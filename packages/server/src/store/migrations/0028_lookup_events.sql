-- Each node memoises the look-ups a request makes before its own work (store/lookups.ts): the
-- credential behind a bearer token (tokens, users, service_accounts), the caller's standing in an
-- org (orgs, memberships), the project, the environment and its current manifest. Every change to
-- those rows must reach the memo at once, whoever writes them (a service, a cascade, an operator in
-- psql), so the database reports it, in two ways:
--   * RAISE NOTICE on the writing connection, which the writing node's pool hears before the
--     statement returns: that node drops its memo immediately and keeps nothing new until the
--     connection's transaction is over;
--   * NOTIFY on the event bus's channel, delivered to every other node when (and only if) the
--     transaction commits.
-- Both carry no data: any change drops the whole memo. These rows change rarely (a revocation, a
-- rename, a role change), so a precise eviction would buy nothing. New tokens are not reported
-- (nothing can have cached an answer for a token that did not exist), nor last-used bookkeeping.
CREATE FUNCTION latch_lookups_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'latch_lookups_changed';
  PERFORM pg_notify('latch_events', '{"kind":"lookups.changed"}');
  RETURN NULL;
END $$;

CREATE TRIGGER tokens_lookups_updated AFTER UPDATE ON tokens
  FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
  EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER tokens_lookups_deleted AFTER DELETE OR TRUNCATE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();

CREATE TRIGGER users_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER service_accounts_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER orgs_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON orgs
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER memberships_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER projects_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER environments_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON environments
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
CREATE TRIGGER access_manifests_lookups AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON access_manifests
  FOR EACH STATEMENT EXECUTE FUNCTION latch_lookups_changed();
