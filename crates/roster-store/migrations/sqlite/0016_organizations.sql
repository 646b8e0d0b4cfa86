-- Organizations, their roles and their memberships.
-- `members_count` is the number of membership rows, kept by the statement that adds or removes
-- one: adding is a conditional UPDATE of it, so `max_allowed_memberships` holds across nodes.

CREATE TABLE organizations (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    created_by TEXT,
    -- 0 means unlimited.
    max_allowed_memberships INTEGER NOT NULL DEFAULT 0,
    admin_delete_enabled INTEGER NOT NULL DEFAULT 1,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    members_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX organizations_created_at ON organizations (created_at, id);
CREATE INDEX organizations_created_by ON organizations (created_by);

-- Roles are data, so that custom roles can join the two defaults.
CREATE TABLE organization_roles (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- A JSON array of permission keys.
    permissions TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO organization_roles (key, name, permissions, created_at) VALUES
    ('org:admin', 'Admin', '["org:sys_profile:manage","org:sys_profile:delete","org:sys_memberships:read","org:sys_memberships:manage","org:sys_domains:read","org:sys_domains:manage"]', 0),
    ('org:member', 'Member', '["org:sys_memberships:read"]', 0);

CREATE TABLE organization_memberships (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL REFERENCES organization_roles (key),
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX organization_memberships_user ON organization_memberships (user_id, created_at);
CREATE INDEX organization_memberships_created_at ON organization_memberships (created_at, id);
