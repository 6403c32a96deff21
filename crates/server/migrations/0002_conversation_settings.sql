-- Unread @-mentions per user and conversation: [{messageSequence, atType}].
ALTER TABLE conversations ADD COLUMN at_info TEXT NOT NULL DEFAULT '[]';

-- A user's settings for a conversation; kept apart from `conversations` so a setting can exist
-- before the first message (remind type of a C2C peer) and survives deleting the conversation.
CREATE TABLE conv_settings (
    user_id     TEXT    NOT NULL,
    conv_id     TEXT    NOT NULL,
    pinned      INTEGER NOT NULL DEFAULT 0,
    pin_time    INTEGER NOT NULL DEFAULT 0,
    custom_data TEXT    NOT NULL DEFAULT '',
    -- 64-bit mark set, stored as its two's-complement bit pattern.
    marks       INTEGER NOT NULL DEFAULT 0,
    remind_type TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, conv_id)
);

-- History cleared up to (and including) `seq` for this user.
CREATE TABLE history_cleared (
    user_id  TEXT    NOT NULL,
    conv_key TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (user_id, conv_key)
);

-- Conversation groups (user-defined folders).
CREATE TABLE conv_groups (
    user_id TEXT    NOT NULL,
    name    TEXT    NOT NULL,
    created INTEGER NOT NULL,
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
    start_time  INTEGER NOT NULL,
    end_time    INTEGER NOT NULL,
    is_repeated INTEGER NOT NULL
);
