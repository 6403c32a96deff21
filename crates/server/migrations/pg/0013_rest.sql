-- PostgreSQL version of ../0013_rest.sql: same tables, columns, keys and indexes.
-- The REST API (issue 11).

-- Accounts imported by account_import / multiaccount_import (users who logged in count as
-- imported too, through user_status).
CREATE TABLE IF NOT EXISTS rest_accounts (
    user_id     TEXT PRIMARY KEY NOT NULL,
    imported_at BIGINT NOT NULL DEFAULT 0
);

-- Global mutes set by setnospeaking: until when (unix seconds) C2C and group sends are refused;
-- 0 = not muted, 4294967295 = for ever.
CREATE TABLE IF NOT EXISTS rest_nospeaking (
    user_id     TEXT PRIMARY KEY NOT NULL,
    c2c_until   BIGINT NOT NULL DEFAULT 0,
    group_until BIGINT NOT NULL DEFAULT 0
);
