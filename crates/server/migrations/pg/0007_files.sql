-- PostgreSQL version of ../0007_files.sql: same tables, columns, keys and indexes.
-- Media (issue 3): one row per stored blob of an app. The blob itself lives in the blob store
-- (data_dir/files/<SDKAppID>/<sha256[..2]>/<sha256>); this row is written after the blob is in
-- place, and only blobs with a row are served.
CREATE TABLE files (
    app_id     BIGINT NOT NULL,
    sha256     TEXT    NOT NULL,
    kind       TEXT    NOT NULL DEFAULT 'file',
    size       BIGINT NOT NULL DEFAULT 0,
    mime       TEXT    NOT NULL DEFAULT 'application/octet-stream',
    uploader   TEXT    NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app_id, sha256)
);
