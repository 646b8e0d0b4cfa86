-- Users and their identifications (email addresses, phone numbers, web3 wallets).
-- Booleans are 0/1 integers and timestamps Unix milliseconds, as on the wire.

CREATE TABLE users (
    -- A stable integer key, so that the search index can point at a row by rowid.
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    external_id TEXT UNIQUE,
    username TEXT,
    -- Lower-cased in the application, so uniqueness ignores case the same way on every backend.
    username_normalized TEXT UNIQUE,
    first_name TEXT,
    last_name TEXT,
    locale TEXT,
    primary_email_address_id TEXT,
    primary_phone_number_id TEXT,
    primary_web3_wallet_id TEXT,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    unsafe_metadata TEXT NOT NULL DEFAULT '{}',
    password_enabled INTEGER NOT NULL DEFAULT 0,
    password_last_updated_at INTEGER,
    requires_password_reset INTEGER NOT NULL DEFAULT 0,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    backup_code_enabled INTEGER NOT NULL DEFAULT 0,
    mfa_enabled_at INTEGER,
    mfa_disabled_at INTEGER,
    banned INTEGER NOT NULL DEFAULT 0,
    locked_at INTEGER,
    lock_expires_at INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    delete_self_enabled INTEGER NOT NULL DEFAULT 1,
    create_organization_enabled INTEGER NOT NULL DEFAULT 1,
    create_organizations_limit INTEGER,
    bypass_client_trust INTEGER NOT NULL DEFAULT 0,
    legal_accepted_at INTEGER,
    last_sign_in_at INTEGER,
    last_active_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

CREATE INDEX users_created_at ON users (created_at, id);
CREATE INDEX users_updated_at ON users (updated_at, id);
CREATE INDEX users_first_name ON users (first_name, id);
CREATE INDEX users_last_name ON users (last_name, id);
CREATE INDEX users_last_active_at ON users (last_active_at, id);
CREATE INDEX users_last_sign_in_at ON users (last_sign_in_at, id);

CREATE TABLE identifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    -- The identifier as compared for uniqueness and exact filters (emails lower-cased, ...).
    value_normalized TEXT NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0,
    verification_strategy TEXT,
    verification_status TEXT,
    verification_attempts INTEGER,
    verification_expire_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE UNIQUE INDEX identifications_value_key ON identifications (kind, value_normalized);
CREATE INDEX identifications_user ON identifications (user_id, created_at);

-- Substring search (query, email_address_query, ...): one row per user, rowid = users.pk.
-- The trigram tokenizer lets LIKE '%term%' use the index for terms of three or more characters.
CREATE VIRTUAL TABLE user_search USING fts5 (
    user_ids,
    emails,
    phones,
    usernames,
    web3_wallets,
    names,
    tokenize = 'trigram'
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    -- SHA-256 of the whole secret key; the key itself is never stored.
    key_hash BLOB NOT NULL UNIQUE,
    -- The first characters of the key (`sk_test_ab12…`), so an operator can tell keys apart.
    prefix TEXT NOT NULL,
    environment TEXT NOT NULL,
    label TEXT,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
