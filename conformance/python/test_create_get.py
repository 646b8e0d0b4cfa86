"""POST /users, GET /users/{id} and DELETE /users/{id} through the Python SDK."""

import pytest
from clerk_backend_api import models

from helpers import clerk_error, marker, ms, now_ms, phone, rfc3339, wallet


def test_create_returns_every_field(clerk):
    m = marker()
    emails = [f"first.{m}@example.com", f"second.{m}@example.org"]
    phones = [phone()]
    wallets = [wallet()]
    before = now_ms()

    user = clerk.users.create(
        email_address=emails,
        phone_number=phones,
        web3_wallet=wallets,
        username=f"user_{m}",
        external_id=f"ext-{m}",
        first_name="Ada",
        last_name="Lovelace",
        locale="fr-FR",
        public_metadata={"role": "admin", "nested": {"level": 1}},
        private_metadata={"secret": [1, 2, 3]},
        unsafe_metadata={"theme": "dark"},
        created_at=rfc3339(2015, 6, 15, 12),
        legal_accepted_at=rfc3339(2016, 3, 1, 8),
        delete_self_enabled=False,
        create_organization_enabled=False,
        create_organizations_limit=5,
        bypass_client_trust=True,
    )

    assert user.id.startswith("user_")
    assert user.object == models.UserObject.USER
    assert user.external_id == f"ext-{m}"
    assert user.username == f"user_{m}"
    assert user.first_name == "Ada"
    assert user.last_name == "Lovelace"
    assert user.locale == "fr-FR"

    # The first identifier of each kind becomes primary; all are created verified by the admin.
    assert [e.email_address for e in user.email_addresses] == emails
    assert user.primary_email_address_id == user.email_addresses[0].id
    for email in user.email_addresses:
        assert email.id and email.id.startswith("idn_")
        assert email.object == models.EmailAddressObject.EMAIL_ADDRESS
        assert email.reserved is False
        assert email.linked_to == []
        assert email.verification.object == "verification_admin"
        assert email.verification.status == "verified"
        assert email.verification.strategy == "admin"
        assert email.created_at >= before
    assert [p.phone_number for p in user.phone_numbers] == phones
    assert user.primary_phone_number_id == user.phone_numbers[0].id
    assert user.phone_numbers[0].id.startswith("idn_")
    assert user.phone_numbers[0].reserved is False
    assert user.phone_numbers[0].verification.status == "verified"
    assert user.phone_numbers[0].linked_to == []
    assert [w.web3_wallet for w in user.web3_wallets] == wallets
    assert user.primary_web3_wallet_id == user.web3_wallets[0].id
    assert user.web3_wallets[0].verification.status == "verified"

    assert user.public_metadata == {"role": "admin", "nested": {"level": 1}}
    assert user.private_metadata == {"secret": [1, 2, 3]}
    assert user.unsafe_metadata == {"theme": "dark"}

    assert user.created_at == ms(2015, 6, 15, 12)
    assert user.legal_accepted_at == ms(2016, 3, 1, 8)
    assert before - 1000 <= user.updated_at <= now_ms() + 1000
    assert user.delete_self_enabled is False
    assert user.create_organization_enabled is False
    assert user.create_organizations_limit == 5
    assert user.bypass_client_trust is True

    # Nothing else was asked for, so every other credential and activity field is empty.
    assert user.has_image is False
    assert isinstance(user.image_url, str) and user.image_url
    assert isinstance(user.profile_image_url, str) and user.profile_image_url
    assert user.password_enabled is False
    assert user.password_last_updated_at is None
    assert user.two_factor_enabled is False
    assert user.totp_enabled is False
    assert user.backup_code_enabled is False
    assert user.mfa_enabled_at is None
    assert user.mfa_disabled_at is None
    assert user.passkeys == []
    assert user.external_accounts == []
    assert user.saml_accounts == []
    assert user.enterprise_accounts == []
    assert user.last_sign_in_at is None
    assert user.last_active_at is None
    assert user.banned is False
    assert user.locked is False
    assert user.lockout_expires_in_seconds is None


def test_create_defaults(clerk):
    m = marker()
    before = now_ms()
    user = clerk.users.create(email_address=[f"plain.{m}@example.com"])

    assert user.username is None
    assert user.first_name is None
    assert user.last_name is None
    assert user.external_id is None
    assert user.primary_phone_number_id is None
    assert user.primary_web3_wallet_id is None
    assert user.phone_numbers == []
    assert user.web3_wallets == []
    assert user.public_metadata == {}
    assert user.private_metadata == {}
    assert user.unsafe_metadata == {}
    assert before - 1000 <= user.created_at <= now_ms() + 1000
    assert user.updated_at == user.created_at
    assert user.legal_accepted_at is None
    assert user.delete_self_enabled is True
    assert user.create_organization_enabled is True
    assert user.create_organizations_limit is None
    assert user.bypass_client_trust is False


def test_get_returns_the_created_user(clerk):
    m = marker()
    # Several identifiers of each kind, so that their order is part of what must match.
    created = clerk.users.create(
        email_address=[f"get.{m}@example.com", f"get2.{m}@example.com", f"get3.{m}@example.com"],
        phone_number=[phone(), phone(), phone()],
        web3_wallet=[wallet(), wallet(), wallet()],
        username=f"get_{m}",
        first_name="Grace",
        public_metadata={"k": "v"},
    )
    fetched = clerk.users.get(user_id=created.id)
    assert [e.email_address for e in fetched.email_addresses] == [e.email_address for e in created.email_addresses]
    assert [p.phone_number for p in fetched.phone_numbers] == [p.phone_number for p in created.phone_numbers]
    assert [w.web3_wallet for w in fetched.web3_wallets] == [w.web3_wallet for w in created.web3_wallets]
    assert fetched.model_dump() == created.model_dump()


def test_delete_then_get_is_not_found(clerk):
    m = marker()
    user = clerk.users.create(email_address=[f"del.{m}@example.com"], external_id=f"del-{m}")

    deleted = clerk.users.delete(user_id=user.id)
    assert deleted.object == "user"
    assert deleted.id == user.id
    assert deleted.deleted is True

    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.get(user_id=user.id)
    assert exc.value.status_code == 404
    assert clerk_error(exc).code == "resource_not_found"
    assert clerk.users.list(request={"user_id": [user.id]}) == []

    # The identifiers are free again once their owner is gone.
    again = clerk.users.create(email_address=[f"del.{m}@example.com"], external_id=f"del-{m}")
    assert again.id != user.id
