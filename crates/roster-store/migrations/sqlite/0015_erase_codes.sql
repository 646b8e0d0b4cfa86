-- One-time codes leave the outbox and the event log once they are delivered or expire.
-- `erase_at` is when a row's code expires; a row with nothing left to erase has NULL.
ALTER TABLE outbox ADD COLUMN erase_at INTEGER;
CREATE INDEX outbox_erase ON outbox (erase_at) WHERE erase_at IS NOT NULL;

-- The payload without its code, swapped in when the code is erased.
ALTER TABLE events ADD COLUMN redacted_payload TEXT;
ALTER TABLE events ADD COLUMN erase_at INTEGER;
CREATE INDEX events_erase ON events (erase_at) WHERE erase_at IS NOT NULL;

-- Messages sent before this kept the code in their subject; those still queued get a day,
-- beyond any code's life (their real expiry was not recorded).
UPDATE outbox SET subject = '' WHERE sensitive <> 0 AND sent_at IS NOT NULL;
UPDATE outbox SET erase_at = created_at + 86400000 WHERE sensitive <> 0 AND sent_at IS NULL;
