-- PostgreSQL version of ../0014_peer_read.sql: same tables, columns, keys and indexes.
-- How far each user has read each one-to-one conversation (its last sequence when they marked
-- it read), so history shows the sender's messages as read by the peer after a reload.
CREATE TABLE IF NOT EXISTS c2c_read (
    user_id   TEXT    NOT NULL,
    conv_key  TEXT    NOT NULL,
    seq       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, conv_key)
);
