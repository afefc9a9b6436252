-- Emails are stored in their normalised form (normaliseEmail in @latchkey/core: trimmed, ASCII,
-- A-Z lowered) and compared exactly. lower() is gone from every email look-up and index: its case
-- mapping depends on the cluster's locale, so it could match spellings the application never
-- produced (U+0130 folding to "i") and disagree with the rate limiter's key.
-- translate() lowers exactly A-Z, whatever the locale. Rows that would collide after this could
-- only differ in case, which the old unique index on lower(email) already ruled out; if one does
-- collide anyway, the new unique index fails the migration instead of merging two accounts.
UPDATE users
   SET email = translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
 WHERE email <> translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
UPDATE invitations
   SET email = translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
 WHERE email <> translate(btrim(email), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

DROP INDEX users_email_lower;
CREATE UNIQUE INDEX users_email ON users (email);
DROP INDEX invitations_email;
CREATE INDEX invitations_email ON invitations (email) WHERE status = 'pending';
DROP INDEX invitations_one_pending;
CREATE UNIQUE INDEX invitations_one_pending ON invitations (org_id, email) WHERE status = 'pending';
