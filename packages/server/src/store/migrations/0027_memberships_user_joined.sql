-- The org list (GET /api/v1/orgs) pages through a user's memberships in the order they joined
-- (created_at, org_id). With this index every page is one range scan, however many orgs the user
-- is in; with only memberships_user each page joined and sorted all of them (bench/sizing, 10,000
-- orgs). It also answers every look-up memberships_user did, so that one goes.
CREATE INDEX memberships_user_joined ON memberships (user_id, created_at, org_id);
DROP INDEX memberships_user;
