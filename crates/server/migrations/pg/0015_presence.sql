-- PostgreSQL version of ../0015_presence.sql: same tables, columns, keys and indexes.
-- Cluster presence (issue 8): which server nodes are alive and who is connected to each.

-- One row per server node; `seen_ms` (unix ms) is its last heartbeat, so rows of dead nodes
-- (and their presence) can be swept.
CREATE TABLE IF NOT EXISTS nodes (
    node_id TEXT    NOT NULL PRIMARY KEY,
    seen_ms BIGINT NOT NULL
);

-- One row per connected session: which node holds it, for whom, from which instance and
-- platform, since when (unix ms).
CREATE TABLE IF NOT EXISTS presence (
    node_id     TEXT    NOT NULL,
    session_id  BIGINT NOT NULL,
    user_id     TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    platform    TEXT    NOT NULL,
    since_ms    BIGINT NOT NULL,
    PRIMARY KEY (node_id, session_id)
);
CREATE INDEX IF NOT EXISTS presence_by_user ON presence (user_id);
