-- Emails and usernames are compared by their Unicode-folded key (roster-model's `identity_key`:
-- case and compatibility forms folded, so a fullwidth or Kelvin-sign spelling meets the plain
-- one) instead of their lower-cased form. SQL cannot compute that key, and the two backends
-- lower-case differently anyway, so the stored keys (`users.username_normalized`,
-- `identifications.value_normalized` of emails) are recomputed once in Rust, by the first
-- Roster that opens the database after this migration: it takes the row below, re-keys every
-- row whose key may differ, and deletes the row, all in one transaction.

CREATE TABLE pending_data_migrations (
    name TEXT NOT NULL PRIMARY KEY
);

INSERT INTO pending_data_migrations (name) VALUES ('identity_keys_folded');
