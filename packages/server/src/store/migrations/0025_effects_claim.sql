-- The workers' claim (services/effects/queue.ts) as a function, so that its plan is the one a
-- queue needs whatever the statistics say. On a table the planner knows little about (a new
-- server, a burst since the last ANALYZE) it chose a bitmap scan of effects_due and a sort of
-- every due row, dead index entries included: a claim of 32 from a backlog of 3,000 took 1.2 ms
-- instead of 0.06 ms, grew with the backlog, and (a bitmap scan does not mark dead entries)
-- never cleaned the index as it went. The ordered index scan stops after the rows it takes.
CREATE FUNCTION claim_effects(due_by timestamptz, max_rows integer, node text, lease_until timestamptz)
RETURNS SETOF effects
LANGUAGE sql
SET enable_bitmapscan = off
SET enable_sort = off
AS $$
  WITH due AS (
    SELECT id FROM effects WHERE state IN ('pending', 'retrying') AND next_attempt_at <= due_by
    ORDER BY next_attempt_at, created_at LIMIT max_rows FOR UPDATE SKIP LOCKED)
  UPDATE effects e SET state = 'in_flight', locked_by = node, locked_until = lease_until,
    attempts = e.attempts + 1, updated_at = due_by
  FROM due WHERE e.id = due.id
  RETURNING e.*
$$;

-- Every effect is written three times (enqueued, claimed, recorded): vacuum and analyze the
-- table after 2 % of it changed rather than the default 10-20 %.
ALTER TABLE effects SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
