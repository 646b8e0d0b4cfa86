-- The lockout counter is kept per kind of secret: a right password forgives wrong passwords,
-- a right second factor (TOTP or backup code) wrong second factors, a right one-time code wrong
-- one-time codes, and the limit applies to the three together. Counted apart, knowing one
-- secret buys no guesses at another.
--
-- The failures counted so far cannot be told apart; they are kept as second-factor failures,
-- which a right password does not forgive, so that this migration gives nobody guesses back.
ALTER TABLE users RENAME COLUMN failed_attempts TO failed_second_factor_attempts;
ALTER TABLE users ADD COLUMN failed_password_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_code_attempts INTEGER NOT NULL DEFAULT 0;
