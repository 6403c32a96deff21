-- PostgreSQL version of ../0012_topics.sql: same tables, columns, keys and indexes.
-- Communities and topics (issue 6).
-- Topics of topic-enabled communities; membership is the community's, messages live in the
-- conversation `GROUP<topic_id>`.
CREATE TABLE topics (
    topic_id     TEXT    NOT NULL PRIMARY KEY,
    group_id     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    avatar       TEXT    NOT NULL DEFAULT '',
    introduction TEXT    NOT NULL DEFAULT '',
    notification TEXT    NOT NULL DEFAULT '',
    custom_data  TEXT    NOT NULL DEFAULT '',
    mute_all     BIGINT NOT NULL DEFAULT 0,
    create_time  BIGINT NOT NULL
);
CREATE INDEX topics_by_group ON topics (group_id);
