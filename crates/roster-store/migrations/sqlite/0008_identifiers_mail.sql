-- Phone numbers as second factors, one-time-code verifications, and the outbox of messages
-- (e-mail and SMS) that a background worker delivers.

ALTER TABLE identifications ADD COLUMN reserved_for_second_factor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE identifications ADD COLUMN default_second_factor INTEGER NOT NULL DEFAULT 0;

-- One row per prepared one-time code. The code itself is never stored: only an HMAC of it
-- under the instance's encryption key (`key_id` names that key).
CREATE TABLE verifications (
    id TEXT PRIMARY KEY NOT NULL,
    identification_id TEXT NOT NULL REFERENCES identifications (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    strategy TEXT NOT NULL,
    status TEXT NOT NULL,
    code_digest TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX verifications_identification ON verifications (identification_id, created_at);

-- Messages waiting for delivery, written in the same transaction as the change that causes
-- them. A worker claims due rows by setting `lease_until` (a crashed worker's claim simply
-- runs out), sends, and stamps `sent_at`. On PostgreSQL the claim's inner SELECT takes
-- FOR UPDATE SKIP LOCKED so that several workers never claim one row.
CREATE TABLE outbox (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- What the message is about (`primary_email_address_changed`, `verification_code`).
    template TEXT NOT NULL,
    user_id TEXT,
    -- Holds a one-time code: the body is erased once the message is delivered.
    sensitive INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    sent_at INTEGER,
    failed_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE INDEX outbox_due ON outbox (channel, next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
