-- PostgreSQL version of ../0005_relations.sql: same tables, columns, keys and indexes.
-- `rowid` stands in for SQLite's implicit rowid (insertion order), which the queries order by.
-- Friends, friend applications, friend groups and the blacklist.

-- One row per direction: `friend_id` is in `user_id`'s friend list. A two-way friendship is two
-- rows; a one-way one is a single row.
CREATE TABLE friends (
    user_id   TEXT    NOT NULL,
    friend_id TEXT    NOT NULL,
    remark    TEXT    NOT NULL DEFAULT '',
    source    TEXT    NOT NULL DEFAULT '',
    wording   TEXT    NOT NULL DEFAULT '',
    -- friendCustomField as JSON: [{"key": "Tag_SNS_Custom_x", "value": "..."}].
    custom    TEXT    NOT NULL DEFAULT '[]',
    added     BIGINT NOT NULL DEFAULT 0,
    rowid      BIGSERIAL,
    PRIMARY KEY (user_id, friend_id)
);

-- A pending request from `from_id` to `to_id`; answering or deleting it removes the row.
CREATE TABLE friend_applications (
    from_id    TEXT    NOT NULL,
    to_id      TEXT    NOT NULL,
    source     TEXT    NOT NULL DEFAULT '',
    wording    TEXT    NOT NULL DEFAULT '',
    -- What the applicant asked for their own entry: remark and friend group.
    remark     TEXT    NOT NULL DEFAULT '',
    group_name TEXT    NOT NULL DEFAULT '',
    time       BIGINT NOT NULL DEFAULT 0,
    -- 1 until `to_id` calls setFriendApplicationRead.
    unread     BIGINT NOT NULL DEFAULT 1,
    rowid      BIGSERIAL,
    PRIMARY KEY (from_id, to_id)
);
CREATE INDEX friend_applications_to ON friend_applications (to_id);

-- A user's named friend groups and who is in them.
CREATE TABLE friend_groups (
    user_id TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    created BIGINT NOT NULL DEFAULT 0,
    rowid      BIGSERIAL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE friend_group_members (
    user_id   TEXT NOT NULL,
    name      TEXT NOT NULL,
    friend_id TEXT NOT NULL,
    PRIMARY KEY (user_id, name, friend_id)
);

-- `blocked_id` is in `user_id`'s blacklist.
CREATE TABLE blacklist (
    user_id    TEXT    NOT NULL,
    blocked_id TEXT    NOT NULL,
    added      BIGINT NOT NULL DEFAULT 0,
    rowid      BIGSERIAL,
    PRIMARY KEY (user_id, blocked_id)
);
