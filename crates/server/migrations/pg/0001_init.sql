-- PostgreSQL version of ../0001_init.sql: same tables, columns, keys and indexes.
-- Messages: one row per message, in the sender's view; `seq` orders a conversation.
CREATE TABLE messages (
    id        TEXT    NOT NULL PRIMARY KEY,
    conv_key  TEXT    NOT NULL,
    seq       BIGINT NOT NULL,
    sender    TEXT    NOT NULL,
    time      BIGINT NOT NULL,
    body      TEXT    NOT NULL,
    UNIQUE (conv_key, seq)
);

-- Last sequence handed out per conversation.
CREATE TABLE conv_seq (
    conv_key  TEXT    NOT NULL PRIMARY KEY,
    last_seq  BIGINT NOT NULL DEFAULT 0
);

-- Each user's inbox: every stored message they must see, in delivery order. Clients resync from
-- their last inbox_seq, so nothing is lost and nothing delivered twice.
CREATE TABLE inbox (
    user_id    TEXT    NOT NULL,
    inbox_seq  BIGINT NOT NULL,
    message_id TEXT    NOT NULL,
    PRIMARY KEY (user_id, inbox_seq)
);

CREATE TABLE inbox_seq (
    user_id   TEXT    NOT NULL PRIMARY KEY,
    last_seq  BIGINT NOT NULL DEFAULT 0
);

-- Per-user conversation state.
CREATE TABLE conversations (
    user_id          TEXT    NOT NULL,
    conv_id          TEXT    NOT NULL,
    conv_key         TEXT    NOT NULL,
    unread           BIGINT NOT NULL DEFAULT 0,
    last_message_id  TEXT    NOT NULL DEFAULT '',
    last_time        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, conv_id)
);

CREATE TABLE groups (
    group_id         TEXT    NOT NULL PRIMARY KEY,
    kind             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    owner_id         TEXT    NOT NULL DEFAULT '',
    introduction     TEXT    NOT NULL DEFAULT '',
    notification     TEXT    NOT NULL DEFAULT '',
    avatar           TEXT    NOT NULL DEFAULT '',
    max_members      BIGINT NOT NULL,
    join_option      TEXT    NOT NULL DEFAULT '',
    invite_option    TEXT    NOT NULL DEFAULT '',
    custom_fields    TEXT    NOT NULL DEFAULT '[]',
    is_support_topic BIGINT NOT NULL DEFAULT 0,
    create_time      BIGINT NOT NULL,
    info_seq         BIGINT NOT NULL DEFAULT 1,
    last_info_time   BIGINT NOT NULL,
    dismissed        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE group_members (
    group_id      TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    join_time     BIGINT NOT NULL,
    name_card     TEXT    NOT NULL DEFAULT '',
    custom_fields TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

-- Pending applications to join groups that need permission.
CREATE TABLE group_applications (
    group_id  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    message   TEXT    NOT NULL DEFAULT '',
    time      BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
