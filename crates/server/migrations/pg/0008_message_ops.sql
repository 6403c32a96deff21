-- PostgreSQL version of ../0008_message_ops.sql: same tables, columns, keys and indexes.
-- Message operations: revoke, delete, modify, forward, merger, hopping (issue 3).

-- Messages a user deleted for themselves (deleteMessage): hidden from their history only.
CREATE TABLE message_deletions (
    user_id    TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    conv_key   TEXT    NOT NULL DEFAULT '',
    time       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, message_id)
);

-- Merged histories of merger messages, fetched on demand by downloadKey.
CREATE TABLE merger_lists (
    download_key TEXT    NOT NULL PRIMARY KEY,
    uploader     TEXT    NOT NULL,
    body         TEXT    NOT NULL DEFAULT '[]',
    count        BIGINT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    complete     BIGINT NOT NULL DEFAULT 0,
    created      BIGINT NOT NULL DEFAULT 0
);

-- Merger messages nested in a merged history: who may read the parent may read the child.
CREATE TABLE merger_links (
    parent_key TEXT NOT NULL,
    child_key  TEXT NOT NULL,
    PRIMARY KEY (parent_key, child_key)
);
CREATE INDEX merger_links_by_child ON merger_links (child_key);

-- Finds the sent merger messages that carry a downloadKey (who may download it).
-- SQLite's JSON path $.a.b is (body::jsonb #>> '{a,b}') here, as the store's SQL translation
-- spells it; a query uses the index only when it spells the expression the same way.
CREATE INDEX messages_by_merger_key ON messages ((body::jsonb #>> '{payload,downloadKey}'))
    WHERE (body::jsonb #>> '{type}') = 'TIMRelayElem';

-- History hopping by server time (C2C).
CREATE INDEX messages_by_conv_time ON messages (conv_key, time, seq);
