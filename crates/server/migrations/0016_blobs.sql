-- Blobs in the database (issue 8): the content of uploaded files as fixed-size chunks, so every
-- node of a cluster serves every file and a Range read fetches only the chunks it covers.
-- PostgreSQL deployments keep their blobs here; SQLite keeps them on the local disk
-- (data_dir/files) and leaves this table empty: it exists so both schemas stay parallel.
-- A blob's chunks are written in one transaction before its `files` row, so a blob with a
-- row is always whole. Chunk `idx` holds bytes [idx * 1 MiB, (idx + 1) * 1 MiB).
CREATE TABLE IF NOT EXISTS blob_chunks (
    app_id INTEGER NOT NULL,
    sha256 TEXT    NOT NULL,
    idx    INTEGER NOT NULL,
    data   BLOB    NOT NULL,
    PRIMARY KEY (app_id, sha256, idx)
);
