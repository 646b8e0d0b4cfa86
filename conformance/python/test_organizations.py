"""Organizations and memberships through clerk-backend-api: organizations.create, get, list,
update, merge_metadata, delete, and organization_memberships.create, list, update,
update_metadata, delete, with users.get_organization_memberships."""

import pytest
from clerk_backend_api import Clerk, models

from helpers import clerk_error, marker


def new_user(clerk: Clerk, name: str):
    return clerk.users.create(email_address=[f"org.{marker()}@example.com"], first_name=name)


def test_an_organization_is_created_read_listed_updated_and_deleted(clerk: Clerk):
    creator = new_user(clerk, "Ada")
    tag = marker()
    org = clerk.organizations.create(
        request={
            "name": f"Acme {tag}",
            "created_by": creator.id,
            "public_metadata": {"plan": "pro"},
            "private_metadata": {"seats": 5},
            "max_allowed_memberships": 10,
        }
    )
    assert org.id.startswith("org_")
    assert org.object == models.OrganizationObject.ORGANIZATION
    assert org.name == f"Acme {tag}"
    assert org.slug == f"acme-{tag}"
    assert org.created_by == creator.id
    assert org.max_allowed_memberships == 10
    assert org.admin_delete_enabled is True
    assert org.has_image is False
    assert org.public_metadata == {"plan": "pro"}
    assert org.private_metadata == {"seats": 5}

    by_slug = clerk.organizations.get(organization_id=org.slug, include_members_count=True)
    assert by_slug.id == org.id
    assert by_slug.members_count == 1

    page = clerk.organizations.list(query=tag, include_members_count=True)
    assert page.total_count == 1
    assert [o.id for o in page.data] == [org.id]
    assert page.data[0].members_count == 1
    mine = clerk.organizations.list(user_id=[creator.id])
    assert [o.id for o in mine.data] == [org.id]

    updated = clerk.organizations.update(organization_id=org.id, name=f"Renamed {tag}", max_allowed_memberships=3)
    assert updated.name == f"Renamed {tag}"
    assert updated.max_allowed_memberships == 3

    merged = clerk.organizations.merge_metadata(
        organization_id=org.id, public_metadata={"plan": None, "tier": {"a": 1}}, private_metadata={"x": True}
    )
    assert merged.public_metadata == {"tier": {"a": 1}}
    assert merged.private_metadata == {"seats": 5, "x": True}

    deleted = clerk.organizations.delete(organization_id=org.id)
    assert deleted.id == org.id and deleted.deleted is True
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.organizations.get(organization_id=org.id)
    assert clerk_error(exc).code == "resource_not_found"


def test_a_taken_slug_is_refused(clerk: Clerk):
    slug = f"taken-{marker()}"
    clerk.organizations.create(request={"name": "First", "slug": slug})
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.organizations.create(request={"name": "Second", "slug": slug})
    error = clerk_error(exc)
    assert error.code == "form_identifier_exists"
    assert (error.meta or {}).get("param_name") == "slug"


def test_memberships_are_created_listed_updated_and_deleted(clerk: Clerk):
    ada = new_user(clerk, "Ada")
    bob = new_user(clerk, "Bob")
    org = clerk.organizations.create(
        request={"name": f"Team {marker()}", "created_by": ada.id, "max_allowed_memberships": 2}
    )
    membership = clerk.organization_memberships.create(
        organization_id=org.id, user_id=bob.id, role="org:member", public_metadata={"team": "red"}
    )
    assert membership.id.startswith("orgmem_")
    assert membership.role == "org:member"
    assert membership.role_name == "Member"
    assert membership.permissions == ["org:sys_memberships:read"]
    assert membership.public_metadata == {"team": "red"}
    assert membership.organization.id == org.id
    assert membership.public_user_data.user_id == bob.id
    assert membership.public_user_data.first_name == "Bob"
    assert membership.public_user_data.identifier == bob.email_addresses[0].email_address

    page = clerk.organization_memberships.list(organization_id=org.id, order_by="created_at")
    assert page.total_count == 2
    assert [m.public_user_data.user_id for m in page.data] == [ada.id, bob.id]
    assert page.data[0].role == "org:admin"
    members = clerk.organization_memberships.list(organization_id=org.id, role=["org:member"])
    assert [m.public_user_data.user_id for m in members.data] == [bob.id]

    carol = new_user(clerk, "Carol")
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.organization_memberships.create(organization_id=org.id, user_id=carol.id, role="org:member")
    assert clerk_error(exc).code == "organization_membership_quota_exceeded"
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.organization_memberships.update(organization_id=org.id, user_id=ada.id, role="org:member")
    assert clerk_error(exc).code == "organization_minimum_permissions_needed"

    promoted = clerk.organization_memberships.update(organization_id=org.id, user_id=bob.id, role="org:admin")
    assert promoted.role == "org:admin"
    merged = clerk.organization_memberships.update_metadata(
        organization_id=org.id, user_id=bob.id, public_metadata={"team": None, "desk": 4}
    )
    assert merged.public_metadata == {"desk": 4}

    bobs = clerk.users.get_organization_memberships(user_id=bob.id)
    assert bobs.total_count == 1
    assert bobs.data[0].organization.id == org.id

    removed = clerk.organization_memberships.delete(organization_id=org.id, user_id=ada.id)
    assert removed.public_user_data.user_id == ada.id
    assert clerk.organization_memberships.list(organization_id=org.id).total_count == 1
    assert clerk.users.get_organization_memberships(user_id=ada.id).total_count == 0
