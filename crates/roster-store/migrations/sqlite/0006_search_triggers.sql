-- Keep the substring-search index in step with users and identifications inside SQLite itself:
-- a write costs no extra statement from Roster, and no code path can forget to refresh it.

CREATE TRIGGER user_search_after_user_insert AFTER INSERT ON users BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets, names)
    VALUES (new.pk, new.id, NULL, NULL, new.username, NULL,
            trim(coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, '')));
END;

-- Only a change of a searched column touches the index; other updates (metadata, flags, the
-- lockout counter) leave it alone.
CREATE TRIGGER user_search_after_user_update AFTER UPDATE OF username, first_name, last_name ON users
WHEN old.username IS NOT new.username
  OR old.first_name IS NOT new.first_name
  OR old.last_name IS NOT new.last_name
BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets, names)
    SELECT new.pk, new.id,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = new.id AND kind = 'email_address'),
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = new.id AND kind = 'phone_number'),
        new.username,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = new.id AND kind = 'web3_wallet'),
        trim(coalesce(new.first_name, '') || ' ' || coalesce(new.last_name, ''));
END;

CREATE TRIGGER user_search_after_user_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = old.pk;
END;

CREATE TRIGGER user_search_after_identification_insert AFTER INSERT ON identifications BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets, names)
    SELECT u.pk, u.id,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'email_address'),
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'phone_number'),
        u.username,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'web3_wallet'),
        trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))
    FROM users u WHERE u.id = new.user_id;
END;

CREATE TRIGGER user_search_after_identification_delete AFTER DELETE ON identifications BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets, names)
    SELECT u.pk, u.id,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'email_address'),
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'phone_number'),
        u.username,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'web3_wallet'),
        trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))
    FROM users u WHERE u.id = old.user_id;
END;

CREATE TRIGGER user_search_after_identification_update AFTER UPDATE ON identifications BEGIN
    INSERT OR REPLACE INTO user_search (rowid, user_ids, emails, phones, usernames, web3_wallets, names)
    SELECT u.pk, u.id,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'email_address'),
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'phone_number'),
        u.username,
        (SELECT group_concat(value, char(10)) FROM identifications
           WHERE user_id = u.id AND kind = 'web3_wallet'),
        trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))
    FROM users u WHERE u.id = new.user_id;
END;
