-- PostgreSQL version of ../0009_message_extras.sql: same tables, columns, keys and indexes,
-- except the search index: SQLite's FTS5 trigram table becomes a plain table with a pg_trgm GIN
-- index on lower(text), kept up to date by a PL/pgSQL trigger instead of SQLite triggers.

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
    pos         BIGSERIAL PRIMARY KEY,
    message_id  TEXT NOT NULL,
    reaction_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    UNIQUE (message_id, reaction_id, user_id)
);

-- Read receipts: who confirmed reading which message.
CREATE TABLE message_read_receipts (
    message_id TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    time       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, user_id)
);

-- Cloud search index (searchCloudMessages). `message_search_rows` is kept as in SQLite so SQL
-- naming it works on both; the searchable text lives in `message_search`, matched with
-- a substring pattern on `lower(text)` (served by the trigram index, case-insensitively).
CREATE TABLE message_search_rows (
    rid        BIGSERIAL PRIMARY KEY,
    message_id TEXT    NOT NULL UNIQUE
);

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- No foreign key to messages: rows follow messages through the trigger alone, as in SQLite.
CREATE TABLE message_search (
    message_id TEXT PRIMARY KEY,
    text       TEXT NOT NULL
);
CREATE INDEX message_search_text ON message_search USING gin (lower(text) gin_trgm_ops);

-- The searchable text of a message body: the same fields, in the same order, as in SQLite.
CREATE FUNCTION message_search_text(body TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(body::jsonb #>> '{payload,text}', '') || ' ' ||
           COALESCE(body::jsonb #>> '{payload,data}', '') || ' ' ||
           COALESCE(body::jsonb #>> '{payload,description}', '') || ' ' ||
           COALESCE(body::jsonb #>> '{payload,extension}', '') || ' ' ||
           COALESCE(body::jsonb #>> '{payload,fileName}', '')
$$;

CREATE FUNCTION message_search_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM message_search WHERE message_id = OLD.id;
        DELETE FROM message_search_rows WHERE message_id = OLD.id;
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        DELETE FROM message_search WHERE message_id = OLD.id;
    END IF;
    INSERT INTO message_search_rows (message_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    INSERT INTO message_search (message_id, text) VALUES (NEW.id, message_search_text(NEW.body))
    ON CONFLICT (message_id) DO UPDATE SET text = EXCLUDED.text;
    RETURN NEW;
END;
$$;

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION message_search_sync();
CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages
    FOR EACH ROW EXECUTE FUNCTION message_search_sync();
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION message_search_sync();

-- Messages stored before this migration.
INSERT INTO message_search_rows (message_id) SELECT id FROM messages ON CONFLICT DO NOTHING;
INSERT INTO message_search (message_id, text)
SELECT id, message_search_text(body) FROM messages ON CONFLICT DO NOTHING;
