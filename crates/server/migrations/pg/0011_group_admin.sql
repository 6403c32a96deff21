-- PostgreSQL version of ../0011_group_admin.sql: same tables, columns, keys and indexes.
-- Group administration: profile updates, search, online count, ownership, applications, attributes and counters (issue 6).
-- Whether everyone but the owner and admins is muted (updateGroupProfile muteAllMembers).
ALTER TABLE groups ADD COLUMN mute_all BIGINT NOT NULL DEFAULT 0;
-- Group attributes: a small string key-value store per group.
CREATE TABLE group_attributes (
    group_id TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, key)
);
-- Group counters: integers updated atomically in SQL.
CREATE TABLE group_counters (
    group_id TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    value    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, key)
);
