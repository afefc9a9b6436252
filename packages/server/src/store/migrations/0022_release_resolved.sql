-- Secret references (`${NAME}`, `${staging.NAME}` inside a value) are resolved when a release is
-- made and pinned with it, so a later change to a referenced secret reaches nothing until the next
-- deploy. `resolved` is the value with its references replaced, AES-256-GCM under the
-- environment's data key like every stored value (associated data binds the release and name);
-- NULL for a value without references, whose pinned version is read as before. `refs` names what
-- it was resolved from, direct and indirect: [{"environment","name","version"}] (names and
-- versions, never values), so a diff can tell that a referenced value changed.
ALTER TABLE release_secrets ADD COLUMN resolved bytea;
ALTER TABLE release_secrets ADD COLUMN refs jsonb;
