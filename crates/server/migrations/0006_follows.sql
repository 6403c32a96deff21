-- Follows (issue 5). One row per (follower, followee). `id` only grows, so it orders the
-- follow lists newest first and serves as their paging cursor.
CREATE TABLE follows (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    follower TEXT    NOT NULL,
    followee TEXT    NOT NULL,
    time     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (follower, followee)
);
CREATE INDEX follows_following ON follows (follower, id);
CREATE INDEX follows_followers ON follows (followee, id);
