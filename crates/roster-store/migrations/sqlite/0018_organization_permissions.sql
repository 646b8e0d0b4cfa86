-- Roles get an id, a description and an update time, so that the Backend API can manage
-- custom roles; the two default roles keep fixed ids. Permissions become rows: the system
-- ones (`org:sys_…`) are seeded and cannot be changed or deleted. A role still lists its
-- permissions by key, in a JSON array.

ALTER TABLE organization_roles ADD COLUMN id TEXT;
ALTER TABLE organization_roles ADD COLUMN description TEXT;
ALTER TABLE organization_roles ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE organization_roles SET id = 'role_orgadmin', description = 'Role with elevated permissions' WHERE key = 'org:admin';
UPDATE organization_roles SET id = 'role_orgmember', description = 'Role with limited permissions' WHERE key = 'org:member';
UPDATE organization_roles SET id = 'role_' || replace(replace(key, ':', ''), '_', '') WHERE id IS NULL;
CREATE UNIQUE INDEX organization_roles_id ON organization_roles (id);

CREATE TABLE organization_permissions (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    system INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO organization_permissions (id, key, name, description, system, created_at, updated_at) VALUES
    ('perm_sysprofilemanage', 'org:sys_profile:manage', 'Manage organization', 'Permission to manage an organization.', 1, 0, 0),
    ('perm_sysprofiledelete', 'org:sys_profile:delete', 'Delete organization', 'Permission to delete an organization.', 1, 0, 0),
    ('perm_sysmembershipsread', 'org:sys_memberships:read', 'Read members', 'Permission to read the members of an organization.', 1, 0, 0),
    ('perm_sysmembershipsmanage', 'org:sys_memberships:manage', 'Manage members', 'Permission to manage the members of an organization.', 1, 0, 0),
    ('perm_sysdomainsread', 'org:sys_domains:read', 'Read domains', 'Permission to read the domains of an organization.', 1, 0, 0),
    ('perm_sysdomainsmanage', 'org:sys_domains:manage', 'Manage domains', 'Permission to manage the domains of an organization.', 1, 0, 0);
CREATE INDEX organization_permissions_created_at ON organization_permissions (created_at, id);
