-- A user's password, as a digest only: either one Roster made (argon2id) or one imported from
-- another system, named by its hasher. Kept apart from `users` so that no query that reads a
-- user for display can carry a digest along by accident.

CREATE TABLE password_digests (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Clerk's `password_hasher` name (`argon2id`, `bcrypt`, `md5_phpass`, ...).
    hasher TEXT NOT NULL,
    digest TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
