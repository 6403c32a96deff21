-- PostgreSQL version of ../0006_follows.sql: same tables, columns, keys and indexes.
-- Follows (issue 5). One row per (follower, followee). `id` only grows, so it orders the
-- follow lists newest first and serves as their paging cursor.
CREATE TABLE follows (
    id       BIGSERIAL PRIMARY KEY,
    follower TEXT    NOT NULL,
    followee TEXT    NOT NULL,
    time     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (follower, followee)
);
CREATE INDEX follows_following ON follows (follower, id);
CREATE INDEX follows_followers ON follows (followee, id);
