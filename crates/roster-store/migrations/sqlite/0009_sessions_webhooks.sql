-- Sessions, webhook endpoints, and the transactional outbox of events with their deliveries.

-- Facts about this instance that never change once made (its `ins_…` id).
CREATE TABLE instance (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- A session outlives its user's deletion (it is ended, not removed), so `user_id` is not a
-- foreign key.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    status TEXT NOT NULL,
    last_active_organization_id TEXT,
    last_active_at INTEGER NOT NULL,
    expire_at INTEGER NOT NULL,
    abandon_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_client ON sessions (client_id, created_at);

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of event types the endpoint wants; NULL = every event.
    events TEXT,
    -- The signing secret must be recoverable to sign, so it is sealed (AEAD) under the
    -- encryption key named by `key_id`, never stored in the clear.
    key_id TEXT NOT NULL,
    sealed_secret BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The outbox: one row per event, written in the transaction that made the change.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- `msg_…`: the `svix-id` of every delivery of this event, stable across retries.
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    -- Events with the same key are delivered to one endpoint in `seq` order (the user id).
    ordering_key TEXT,
    -- The envelope exactly as signed and sent.
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per (event, endpoint) attempt series; a replay adds another row for the event.
CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    ordering_key TEXT,
    -- `pending` (waiting or in flight), `delivered`, or `failed` (out of attempts).
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- A worker that claimed the delivery owns it until then; after a crash it lapses.
    lease_until INTEGER,
    last_attempt_at INTEGER,
    last_response_code INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    created_at INTEGER NOT NULL
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, ordering_key, status, seq);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
