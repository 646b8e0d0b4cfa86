-- SQLite's 0012 changes how its FTS5 name index is stored. PostgreSQL's trigram indexes sit on
-- the columns themselves: nothing to do.
SELECT 1;
