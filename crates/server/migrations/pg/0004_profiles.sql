-- PostgreSQL version of ../0004_profiles.sql: same tables, columns, keys and indexes.
-- Profiles and user status (issue 5).

-- One row per user who ever set a profile field; users without a row have the default profile.
CREATE TABLE IF NOT EXISTS profiles (
    user_id           TEXT PRIMARY KEY NOT NULL,
    nick              TEXT NOT NULL DEFAULT '',
    gender            TEXT NOT NULL DEFAULT 'Gender_Type_Unknown',
    birthday          BIGINT NOT NULL DEFAULT 0,
    location          TEXT NOT NULL DEFAULT '',
    self_signature    TEXT NOT NULL DEFAULT '',
    allow_type        TEXT NOT NULL DEFAULT 'AllowType_Type_NeedConfirm',
    language          BIGINT NOT NULL DEFAULT 0,
    avatar            TEXT NOT NULL DEFAULT '',
    message_settings  BIGINT NOT NULL DEFAULT 0,
    admin_forbid_type TEXT NOT NULL DEFAULT 'AdminForbid_Type_None',
    level             BIGINT NOT NULL DEFAULT 0,
    role              BIGINT NOT NULL DEFAULT 0,
    last_updated      BIGINT NOT NULL DEFAULT 0
);

-- Custom profile fields; `value` is JSON (a string or an integer).
CREATE TABLE IF NOT EXISTS profile_custom_fields (
    user_id TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL DEFAULT '""',
    PRIMARY KEY (user_id, key)
);

-- Users who ever logged in (OFFLINE rather than UNLOGINED) and their custom status.
CREATE TABLE IF NOT EXISTS user_status (
    user_id       TEXT PRIMARY KEY NOT NULL,
    custom_status TEXT NOT NULL DEFAULT '',
    last_login    BIGINT NOT NULL DEFAULT 0
);

-- Who follows whose status; `seq` orders them so the earliest are evicted first.
CREATE TABLE IF NOT EXISTS status_subscriptions (
    subscriber TEXT NOT NULL,
    target     TEXT NOT NULL,
    seq        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (subscriber, target)
);
CREATE INDEX IF NOT EXISTS status_subscriptions_by_target ON status_subscriptions (target);
