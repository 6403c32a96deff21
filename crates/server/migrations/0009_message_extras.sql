-- Message extensions, reactions, read receipts, cloud search, translation and speech-to-text (issue 3).

-- Extensions of a message; a key belongs to the user who set it first (first writer wins).
CREATE TABLE message_extensions (
    message_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL DEFAULT '',
    owner      TEXT NOT NULL,
    PRIMARY KEY (message_id, key)
);

-- One row per user per reaction; `pos` orders reactions and their users (paging cursor).
CREATE TABLE message_reactions (
    pos         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  TEXT NOT NULL,
    reaction_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    UNIQUE (message_id, reaction_id, user_id)
);

-- Read receipts: who confirmed reading which message.
CREATE TABLE message_read_receipts (
    message_id TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    time       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, user_id)
);

-- Cloud search index (searchCloudMessages): the searchable text of every message in an FTS5
-- trigram index, so keywords match anywhere in the text, case-insensitively. `rid` gives each
-- message a stable integer key for the index (messages' own rowid may change on VACUUM).
CREATE TABLE message_search_rows (
    rid        INTEGER PRIMARY KEY,
    message_id TEXT    NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE message_search USING fts5(text, tokenize = 'trigram');

CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO message_search_rows (message_id) VALUES (new.id);
    INSERT INTO message_search (rowid, text)
    VALUES ((SELECT rid FROM message_search_rows WHERE message_id = new.id),
            COALESCE(json_extract(new.body, '$.payload.text'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.data'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.description'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.extension'), '') || ' ' ||
            COALESCE(json_extract(new.body, '$.payload.fileName'), ''));
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages BEGIN
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

CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search
    WHERE rowid = (SELECT rid FROM message_search_rows WHERE message_id = old.id);
    DELETE FROM message_search_rows WHERE message_id = old.id;
END;

-- Messages stored before this migration.
INSERT OR IGNORE INTO message_search_rows (message_id) SELECT id FROM messages;
INSERT INTO message_search (rowid, text)
SELECT r.rid,
       COALESCE(json_extract(m.body, '$.payload.text'), '') || ' ' ||
       COALESCE(json_extract(m.body, '$.payload.data'), '') || ' ' ||
       COALESCE(json_extract(m.body, '$.payload.description'), '') || ' ' ||
       COALESCE(json_extract(m.body, '$.payload.extension'), '') || ' ' ||
       COALESCE(json_extract(m.body, '$.payload.fileName'), '')
FROM messages m JOIN message_search_rows r ON r.message_id = m.id;
