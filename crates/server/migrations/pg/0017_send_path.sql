-- SQLite's 0017 moves the per-recipient tables to WITHOUT ROWID storage and defers its FTS5
-- search index to one statement per group commit. PostgreSQL tables are heaps with their
-- primary key as an index either way, and its trigram index takes rows one by one at no such
-- cost: nothing to change; the file keeps the two migration lists one for one.
SELECT 1;
