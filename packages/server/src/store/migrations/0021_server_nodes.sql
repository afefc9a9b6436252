-- Server processes sharing this database, so a node can tell it is not alone (limits kept only
-- in one node's memory would be multiplied by the node count) and how many share a limit when
-- the shared store is unreachable. Liveness uses the database's clock: one time source for all.
CREATE TABLE server_nodes (
  id uuid PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  shares_limits boolean NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX server_nodes_seen_at ON server_nodes (seen_at);
