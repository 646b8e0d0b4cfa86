-- Invitations to organizations. `email_key` is the folded form of the address (as identity
-- keys are), so acceptance and the per-user listing find an invitation whatever the case.
-- `status` is pending, accepted or revoked; a pending invitation past `expires_at` reads as
-- expired. An organization's invitations go with it.

CREATE TABLE organization_invitations (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email_address TEXT NOT NULL,
    email_key TEXT NOT NULL,
    role TEXT NOT NULL REFERENCES organization_roles (key),
    inviter_id TEXT,
    status TEXT NOT NULL,
    public_metadata TEXT NOT NULL DEFAULT '{}',
    private_metadata TEXT NOT NULL DEFAULT '{}',
    redirect_url TEXT,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX organization_invitations_organization ON organization_invitations (organization_id, created_at);
CREATE INDEX organization_invitations_email ON organization_invitations (email_key, status);
CREATE INDEX organization_invitations_created_at ON organization_invitations (created_at, id);
