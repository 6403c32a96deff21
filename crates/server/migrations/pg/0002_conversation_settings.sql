-- PostgreSQL version of ../0002_conversation_settings.sql: same tables, columns, keys and indexes.
-- Unread @-mentions per user and conversation: [{messageSequence, atType}].
ALTER TABLE conversations ADD COLUMN at_info TEXT NOT NULL DEFAULT '[]';

-- A user's settings for a conversation; kept apart from `conversations` so a setting can exist
-- before the first message (remind type of a C2C peer) and survives deleting the conversation.
CREATE TABLE conv_settings (
    user_id     TEXT    NOT NULL,
    conv_id     TEXT    NOT NULL,
    pinned      BIGINT NOT NULL DEFAULT 0,
    pin_time    BIGINT NOT NULL DEFAULT 0,
    custom_data TEXT    NOT NULL DEFAULT '',
    -- 64-bit mark set, stored as its two's-complement bit pattern.
    marks       BIGINT NOT NULL DEFAULT 0,
    remind_type TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, conv_id)
);

-- History cleared up to (and including) `seq` for this user.
CREATE TABLE history_cleared (
    user_id  TEXT    NOT NULL,
    conv_key TEXT    NOT NULL,
    seq      BIGINT NOT NULL,
    PRIMARY KEY (user_id, conv_key)
);

-- Conversation groups (user-defined folders).
CREATE TABLE conv_groups (
    user_id TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    created BIGINT NOT NULL,
    PRIMARY KEY (user_id, name)
);

CREATE TABLE conv_group_members (
    user_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    conv_id TEXT NOT NULL,
    PRIMARY KEY (user_id, name, conv_id)
);

-- Global do-not-disturb.
CREATE TABLE receive_opt (
    user_id     TEXT    NOT NULL PRIMARY KEY,
    remind_type TEXT    NOT NULL,
    start_time  BIGINT NOT NULL,
    end_time    BIGINT NOT NULL,
    is_repeated BIGINT NOT NULL
);
