-- Second factors. A TOTP secret is stored only sealed (AEAD) under the key named by `key_id`;
-- backup codes only as digests. Both go with their user.

CREATE TABLE totp_secrets (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Which encryption key sealed `sealed_secret`, so keys can be rotated.
    key_id TEXT NOT NULL,
    -- Nonce followed by ciphertext and tag.
    sealed_secret BLOB NOT NULL,
    -- The 30-second step of the last accepted code: a code is accepted only for a later step,
    -- which makes replay within the window impossible.
    last_used_step INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE backup_codes (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A keyed digest of a code Roster hashed itself, or an imported bcrypt digest.
    digest TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX backup_codes_user ON backup_codes (user_id);
CREATE INDEX backup_codes_digest ON backup_codes (digest);
