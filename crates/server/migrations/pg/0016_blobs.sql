-- PostgreSQL version of ../0016_blobs.sql: same tables, columns, keys and indexes.
-- Blobs in the database (issue 8): the content of uploaded files as fixed-size chunks, so every
-- node of a cluster serves every file and a Range read fetches only the chunks it covers.
-- A blob's chunks are written in one transaction before its `files` row, so a blob with a
-- row is always whole. Chunk `idx` holds bytes [idx * 1 MiB, (idx + 1) * 1 MiB).
CREATE TABLE IF NOT EXISTS blob_chunks (
    app_id BIGINT NOT NULL,
    sha256 TEXT   NOT NULL,
    idx    BIGINT NOT NULL,
    data   BYTEA  NOT NULL,
    PRIMARY KEY (app_id, sha256, idx)
);
-- Uploads are mostly compressed media: EXTERNAL skips a futile compression attempt and lets
-- substr() read a slice of a chunk without fetching all of it.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
