-- The name index stops keeping its own copy of every user's names.
--
-- As 0011 made it, `user_search_names` stored the indexed text in a content table and each
-- row's token count in a docsize table, so every rename rewrote two more randomly placed pages
-- besides the index itself: a quarter of the bytes a batch of renames wrote to the WAL, and most
-- of FTS5's work. Now the index reads names from the `user_search_name_rows` view (external
-- content) and keeps no sizes (`columnsize=0`: only ranking would use them, and listings never
-- rank).
--
-- An external-content index cannot look up what it indexed when a row changes: whoever removes
-- a row must hand FTS5 the exact text that was indexed. A rename therefore notes the user's
-- names as they were before the first rename of the batch; the batch statement (roster-store's
-- sqlite.rs) removes those and indexes the current ones; deleting a user removes what the
-- index holds for it, noted or current.

DROP TRIGGER user_search_after_user_insert;
DROP TRIGGER user_search_after_name_update;
DROP TRIGGER user_search_after_user_delete;
DROP TABLE user_search_names_pending;
DROP TABLE user_search_names;

CREATE VIRTUAL TABLE user_search_names USING fts5 (
    names,
    tokenize = 'trigram',
    content = 'user_search_name_rows',
    content_rowid = 'pk',
    columnsize = 0
);
INSERT INTO user_search_names (user_search_names) VALUES ('rebuild');
INSERT INTO user_search_names (user_search_names) VALUES ('optimize');
INSERT INTO user_search_names (user_search_names, rank) VALUES ('automerge', 2);

-- `names` is what the index holds for the user: the names before the batch's first rename.
CREATE TABLE user_search_names_pending (pk INTEGER PRIMARY KEY, names TEXT NOT NULL);

CREATE TRIGGER user_search_after_user_insert AFTER INSERT ON users BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
    SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows
    WHERE pk = new.pk;
    INSERT INTO user_search_names (rowid, names)
    SELECT pk, names FROM user_search_name_rows WHERE pk = new.pk;
END;

-- The expression is the view's (0011), applied to the old row.
CREATE TRIGGER user_search_after_name_update AFTER UPDATE OF first_name, last_name ON users
WHEN old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
BEGIN
    INSERT OR IGNORE INTO user_search_names_pending (pk, names)
    VALUES (old.pk, trim(coalesce(old.first_name, '') || ' ' || coalesce(old.last_name, '')));
END;

CREATE TRIGGER user_search_after_user_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = old.pk;
    INSERT INTO user_search_names (user_search_names, rowid, names)
    VALUES ('delete', old.pk, coalesce(
        (SELECT names FROM user_search_names_pending WHERE pk = old.pk),
        trim(coalesce(old.first_name, '') || ' ' || coalesce(old.last_name, ''))));
    DELETE FROM user_search_names_pending WHERE pk = old.pk;
END;
