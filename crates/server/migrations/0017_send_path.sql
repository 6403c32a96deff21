-- The tables a send writes a row of for every recipient, all keyed by text, are stored in
-- their primary key's b-tree (WITHOUT ROWID) instead of a rowid table plus an index on that
-- key: a send touches half as many pages there, and every page it touches is a WAL frame
-- written at commit and copied again at checkpoint.
CREATE TABLE inbox_new (
    user_id    TEXT    NOT NULL,
    inbox_seq  INTEGER NOT NULL,
    message_id TEXT    NOT NULL,
    PRIMARY KEY (user_id, inbox_seq)
) WITHOUT ROWID;
INSERT INTO inbox_new (user_id, inbox_seq, message_id)
    SELECT user_id, inbox_seq, message_id FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;

CREATE TABLE inbox_seq_new (
    user_id   TEXT    NOT NULL PRIMARY KEY,
    last_seq  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO inbox_seq_new (user_id, last_seq) SELECT user_id, last_seq FROM inbox_seq;
DROP TABLE inbox_seq;
ALTER TABLE inbox_seq_new RENAME TO inbox_seq;

CREATE TABLE conv_seq_new (
    conv_key  TEXT    NOT NULL PRIMARY KEY,
    last_seq  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO conv_seq_new (conv_key, last_seq) SELECT conv_key, last_seq FROM conv_seq;
DROP TABLE conv_seq;
ALTER TABLE conv_seq_new RENAME TO conv_seq;

CREATE TABLE conversations_new (
    user_id          TEXT    NOT NULL,
    conv_id          TEXT    NOT NULL,
    conv_key         TEXT    NOT NULL,
    unread           INTEGER NOT NULL DEFAULT 0,
    last_message_id  TEXT    NOT NULL DEFAULT '',
    last_time        INTEGER NOT NULL DEFAULT 0,
    at_info          TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (user_id, conv_id)
) WITHOUT ROWID;
INSERT INTO conversations_new
    (user_id, conv_id, conv_key, unread, last_message_id, last_time, at_info)
    SELECT user_id, conv_id, conv_key, unread, last_message_id, last_time, at_info
    FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_new RENAME TO conversations;

CREATE TABLE conv_settings_new (
    user_id     TEXT    NOT NULL,
    conv_id     TEXT    NOT NULL,
    pinned      INTEGER NOT NULL DEFAULT 0,
    pin_time    INTEGER NOT NULL DEFAULT 0,
    custom_data TEXT    NOT NULL DEFAULT '',
    -- 64-bit mark set, stored as its two's-complement bit pattern.
    marks       INTEGER NOT NULL DEFAULT 0,
    remind_type TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, conv_id)
) WITHOUT ROWID;
INSERT INTO conv_settings_new
    (user_id, conv_id, pinned, pin_time, custom_data, marks, remind_type)
    SELECT user_id, conv_id, pinned, pin_time, custom_data, marks, remind_type
    FROM conv_settings;
DROP TABLE conv_settings;
ALTER TABLE conv_settings_new RENAME TO conv_settings;

-- The cloud search index is written once per group commit instead of once per message: the
-- insert trigger only notes the message, and the writer indexes everything noted in one
-- statement before it commits (`index_pending_search`). Indexing in the trigger made FTS5
-- flush a segment of one message at the next statement of the transaction, and merge them,
-- a fifth of the cost of storing a send. Search also reads the few noted but not indexed.
CREATE TABLE message_search_pending (
    message_id TEXT NOT NULL PRIMARY KEY
) WITHOUT ROWID;

DROP TRIGGER message_search_insert;
CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO message_search_pending (message_id) VALUES (new.id);
END;

-- An edited or deleted message is indexed (or unindexed) at once, so it leaves the pending list.
DROP TRIGGER message_search_update;
CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM message_search_pending WHERE message_id = old.id;
    DELETE FROM message_search
    WHERE rowid = (SELECT rid FROM message_search_rows WHERE message_id = old.id);
    INSERT OR IGNORE INTO message_search_rows (message_id) VALUES (new.id);
    INSERT INTO message_search (rowid, text)
    VALUES ((SELECT rid FROM message_search_rows WHERE message_id = new.id),
            COALESCE(json_extract(new.body, '$.payload.text'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.data'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.description'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.extension'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.fileName'), ''));
END;

DROP TRIGGER message_search_delete;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search_pending WHERE message_id = old.id;
    DELETE FROM message_search
    WHERE rowid = (SELECT rid FROM message_search_rows WHERE message_id = old.id);
    DELETE FROM message_search_rows WHERE message_id = old.id;
END;
