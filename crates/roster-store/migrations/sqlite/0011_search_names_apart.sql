-- Names move to a search table of their own.
--
-- FTS5 re-indexes a whole row when any of its columns changes: renaming a user re-tokenized its
-- id, e-mail addresses and username too, about a hundred trigrams removed and a hundred added,
-- and every such write left a segment that searches on e-mail addresses then had to probe until
-- it was merged. Names are what changes most often; apart, a rename touches only the few
-- trigrams of the name, and identifier searches never see its churn.

DROP TRIGGER user_search_after_user_insert;
DROP TRIGGER user_search_after_user_update;
DROP TRIGGER user_search_after_user_delete;
DROP TRIGGER user_search_after_identification_insert;
DROP TRIGGER user_search_after_identification_delete;
DROP TRIGGER user_search_after_identification_update;
DROP TABLE user_search;

-- One row per user, rowid = users.pk, as before.
CREATE VIRTUAL TABLE user_search USING fts5 (
    user_ids,
    emails,
    phones,
    usernames,
    web3_wallets,
    tokenize = 'trigram'
);
CREATE VIRTUAL TABLE user_search_names USING fts5 (
    names,
    tokenize = 'trigram'
);

-- What each table holds for a user, defined once: the triggers below, the first fill and the
-- batch statement that indexes renames (roster-store's sqlite.rs) all read these views, and
-- filtering them by pk or id stays a lookup by key.
CREATE VIEW user_search_rows AS
SELECT u.pk, u.id,
    (SELECT group_concat(value, char(10)) FROM identifications
       WHERE user_id = u.id AND kind = 'email_address') AS emails,
    (SELECT group_concat(value, char(10)) FROM identifications
       WHERE user_id = u.id AND kind = 'phone_number') AS phones,
    u.username,
    (SELECT group_concat(value, char(10)) FROM identifications
       WHERE user_id = u.id AND kind = 'web3_wallet') AS web3_wallets
FROM users u;

CREATE VIEW user_search_name_rows AS
SELECT pk, trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) AS names FROM users;

INSERT INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows;
INSERT INTO user_search_names (rowid, names) SELECT pk, names FROM user_search_name_rows;

-- Built in one go, each index is merged into a single segment; later writes merge as 0010 set.
INSERT INTO user_search (user_search) VALUES ('optimize');
INSERT INTO user_search_names (user_search_names) VALUES ('optimize');
INSERT INTO user_search (user_search, rank) VALUES ('automerge', 2);
INSERT INTO user_search_names (user_search_names, rank) VALUES ('automerge', 2);

CREATE TRIGGER user_search_after_user_insert AFTER INSERT ON users BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
    SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows
    WHERE pk = new.pk;
    INSERT OR REPLACE INTO user_search_names (rowid, names)
    SELECT pk, names FROM user_search_name_rows WHERE pk = new.pk;
END;

-- A rename only notes the user: each batch of writes indexes the names it changed in one
-- statement just before it commits (roster-store's sqlite.rs), so that FTS5 writes one segment
-- per batch, not one per rename.
CREATE TABLE user_search_names_pending (pk INTEGER PRIMARY KEY);

-- Each trigger fires only when its own columns change; other updates (metadata, flags, the
-- lockout counter) touch neither table.
CREATE TRIGGER user_search_after_username_update AFTER UPDATE OF username ON users
WHEN old.username IS NOT new.username
BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
    SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows
    WHERE pk = new.pk;
END;

CREATE TRIGGER user_search_after_name_update AFTER UPDATE OF first_name, last_name ON users
WHEN old.first_name IS NOT new.first_name OR old.last_name IS NOT new.last_name
BEGIN
    INSERT OR IGNORE INTO user_search_names_pending (pk) VALUES (new.pk);
END;

CREATE TRIGGER user_search_after_user_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = old.pk;
    DELETE FROM user_search_names WHERE rowid = old.pk;
    DELETE FROM user_search_names_pending WHERE pk = old.pk;
END;

CREATE TRIGGER user_search_after_identification_insert AFTER INSERT ON identifications BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
    SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows
    WHERE id = new.user_id;
END;

CREATE TRIGGER user_search_after_identification_delete AFTER DELETE ON identifications BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
    SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows
    WHERE id = old.user_id;
END;

-- Verifying an address changes its row but not what is searched.
CREATE TRIGGER user_search_after_identification_update
AFTER UPDATE OF user_id, kind, value ON identifications
WHEN old.user_id IS NOT new.user_id OR old.kind IS NOT new.kind OR old.value IS NOT new.value
BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets)
    SELECT pk, id, emails, phones, username, web3_wallets FROM user_search_rows
    WHERE id = new.user_id;
END;
