"""Organization invitations through clerk-backend-api: organization_invitations.create,
bulk_create, get, list (with status and email_address), list_pending, get_all (instance-wide)
and revoke, with users.get_organization_invitations; a user created with an invited address
joins with the invited role."""

import pytest
from clerk_backend_api import Clerk, models

from helpers import clerk_error, marker


def test_invitations_are_created_listed_read_revoked_and_accepted(clerk: Clerk):
    tag = marker()
    admin = clerk.users.create(email_address=[f"admin.{tag}@example.com"])
    org = clerk.organizations.create(request={"name": f"Invites {tag}", "created_by": admin.id})
    invited = clerk.organization_invitations.create(
        organization_id=org.id,
        email_address=f"bob.{tag}@example.com",
        role="org:member",
        inviter_user_id=admin.id,
        public_metadata={"team": "red"},
        expires_in_days=7,
    )
    assert invited.id.startswith("orginv_")
    assert invited.object == models.OrganizationInvitationObject.ORGANIZATION_INVITATION
    assert invited.email_address == f"bob.{tag}@example.com"
    assert invited.role == "org:member"
    assert invited.role_name == "Member"
    assert invited.organization_id == org.id
    assert invited.status == "pending"
    assert invited.inviter_id == admin.id
    assert invited.public_inviter_data is not None
    assert invited.public_inviter_data.user_id == admin.id
    assert invited.public_metadata == {"team": "red"}
    assert invited.url is None
    assert invited.expires_at == invited.created_at + 7 * 24 * 3600 * 1000

    bulk = clerk.organization_invitations.bulk_create(
        organization_id=org.id,
        request_body=[
            {"email_address": f"cy.{tag}@example.com", "role": "org:admin"},
            {"email_address": f"dee.{tag}@example.com", "role": "org:member"},
        ],
    )
    assert bulk.total_count == 2
    assert [i.email_address for i in bulk.data] == [f"cy.{tag}@example.com", f"dee.{tag}@example.com"]

    read = clerk.organization_invitations.get(organization_id=org.id, invitation_id=invited.id)
    assert read.id == invited.id
    listed = clerk.organization_invitations.list(organization_id=org.id, email_address=f"bob.{tag}@example.com")
    assert [i.id for i in listed.data] == [invited.id]
    pending = clerk.organization_invitations.list_pending(organization_id=org.id)
    assert pending.total_count == 3

    revoked = clerk.organization_invitations.revoke(
        organization_id=org.id, invitation_id=invited.id, requesting_user_id=admin.id
    )
    assert revoked.status == "revoked"
    by_status = clerk.organization_invitations.list(organization_id=org.id, status="revoked")
    assert [i.id for i in by_status.data] == [invited.id]
    with pytest.raises(models.ClerkErrors) as exc_info:
        clerk.organization_invitations.revoke(organization_id=org.id, invitation_id=invited.id)
    assert clerk_error(exc_info).code == "organization_invitation_not_pending"

    instance = clerk.organization_invitations.get_all(query=tag)
    assert instance.total_count == 3
    assert instance.data[0].public_organization_data is not None
    assert instance.data[0].public_organization_data.id == org.id

    cy = clerk.users.create(email_address=[f"cy.{tag}@example.com"])
    memberships = clerk.users.get_organization_memberships(user_id=cy.id)
    assert memberships.total_count == 1
    assert memberships.data[0].role == "org:admin"
    mine = clerk.users.get_organization_invitations(user_id=cy.id)
    assert mine.total_count == 1
    assert mine.data[0].status == "accepted"


def test_refusals(clerk: Clerk):
    tag = marker()
    org = clerk.organizations.create(request={"name": f"Refusals {tag}"})
    with pytest.raises(models.ClerkErrors) as exc_info:
        clerk.organization_invitations.create(
            organization_id=org.id, email_address=f"x.{tag}@example.com", role="org:nobody"
        )
    assert clerk_error(exc_info).meta["param_name"] == "role"
    with pytest.raises(models.ClerkErrors) as exc_info:
        clerk.organization_invitations.get(organization_id=org.id, invitation_id="orginv_missing")
    assert clerk_error(exc_info).code == "resource_not_found"
    assert clerk.organization_invitations.list(organization_id=org.id).total_count == 0
