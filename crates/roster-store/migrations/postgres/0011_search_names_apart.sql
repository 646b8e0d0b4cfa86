-- SQLite's 0011 splits its FTS5 search table in two. PostgreSQL searches with trigram indexes on
-- the columns themselves, which already index names apart from identifiers: nothing to do.
SELECT 1;
