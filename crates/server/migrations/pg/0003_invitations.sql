-- PostgreSQL version of ../0003_invitations.sql: same tables, columns, keys and indexes.
-- Signaling invitations. `body` holds the invitation (JSON); `done` and `deadline` (unix ms,
-- 0 for none) are columns so the timeout sweeper finds expired ones with one indexed query,
-- and so timeouts survive a restart.
CREATE TABLE invitations (
    invite_id TEXT    NOT NULL PRIMARY KEY,
    body      TEXT    NOT NULL,
    done      BIGINT NOT NULL DEFAULT 0,
    deadline  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX invitations_pending ON invitations (done, deadline);
