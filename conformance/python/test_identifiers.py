"""Email addresses and phone numbers through the SDK: create, get, update, delete, and the typed
errors of the rules that guard them."""

import pytest
from clerk_backend_api import models

from helpers import clerk_error, marker, phone


def test_email_address_lifecycle(clerk):
    tag = marker()
    user = clerk.users.create(email_address=[f"first.{tag}@example.com"])
    first_id = user.primary_email_address_id

    added = clerk.email_addresses.create(
        request={"user_id": user.id, "email_address": f"Second.{tag}@Example.com"}
    )
    assert added.object == models.EmailAddressObject.EMAIL_ADDRESS
    assert added.email_address == f"Second.{tag}@Example.com"
    assert added.reserved is False
    assert added.verification is None
    assert added.linked_to == []

    fetched = clerk.email_addresses.get(email_address_id=added.id)
    assert fetched.id == added.id

    verified = clerk.email_addresses.update(email_address_id=added.id, verified=True)
    assert verified.verification is not None
    assert verified.verification.status == "verified"

    clerk.email_addresses.update(email_address_id=added.id, primary=True)
    assert clerk.users.get(user_id=user.id).primary_email_address_id == added.id

    deleted = clerk.email_addresses.delete(email_address_id=first_id)
    assert deleted.deleted is True
    assert deleted.id == first_id
    remaining = clerk.users.get(user_id=user.id).email_addresses
    assert [e.email_address for e in remaining] == [f"Second.{tag}@Example.com"]


def test_email_address_rules_surface_as_typed_errors(clerk):
    tag = marker()
    clerk.users.create(email_address=[f"taken.{tag}@example.com"])
    user = clerk.users.create(email_address=[f"mine.{tag}@example.com"])

    with pytest.raises(models.ClerkErrors) as taken:
        clerk.email_addresses.create(
            request={"user_id": user.id, "email_address": f"TAKEN.{tag}@example.com"}
        )
    error = clerk_error(taken)
    assert error.code == "form_identifier_exists"
    assert error.meta["param_name"] == "email_address"

    unverified = clerk.email_addresses.create(
        request={"user_id": user.id, "email_address": f"unverified.{tag}@example.com"}
    )
    with pytest.raises(models.ClerkErrors) as needs_verification:
        clerk.email_addresses.update(email_address_id=unverified.id, primary=True)
    assert clerk_error(needs_verification).code == "form_verification_needed"

    with pytest.raises(models.ClerkErrors) as primary:
        clerk.email_addresses.delete(email_address_id=user.primary_email_address_id)
    assert clerk_error(primary).code == "identification_deletion_failed"

    with pytest.raises(models.ClerkErrors) as missing:
        clerk.email_addresses.get(email_address_id="idn_missing")
    assert clerk_error(missing).code == "resource_not_found"

    after = clerk.users.get(user_id=user.id)
    assert after.primary_email_address_id == user.primary_email_address_id
    assert len(after.email_addresses) == 2


def test_phone_number_lifecycle_and_second_factor(clerk):
    user = clerk.users.create(username=f"p_{marker()}")
    number = phone()
    created = clerk.phone_numbers.create(
        request={
            "user_id": user.id,
            "phone_number": number,
            "verified": True,
            "reserved_for_second_factor": True,
        }
    )
    assert created.object == models.PhoneNumberObject.PHONE_NUMBER
    assert created.phone_number == number
    assert created.reserved_for_second_factor is True
    assert created.default_second_factor is True
    assert clerk.users.get(user_id=user.id).primary_phone_number_id == created.id

    updated = clerk.phone_numbers.update(
        phone_number_id=created.id, reserved_for_second_factor=False
    )
    assert updated.reserved_for_second_factor is False
    assert clerk.phone_numbers.get(phone_number_id=created.id).default_second_factor is False

    with pytest.raises(models.ClerkErrors) as malformed:
        clerk.phone_numbers.create(request={"user_id": user.id, "phone_number": "555-0100"})
    error = clerk_error(malformed)
    assert error.code == "form_param_format_invalid"
    assert error.meta["param_name"] == "phone_number"

    second = clerk.phone_numbers.create(
        request={"user_id": user.id, "phone_number": phone(), "verified": True, "primary": True}
    )
    deleted = clerk.phone_numbers.delete(phone_number_id=created.id)
    assert deleted.deleted is True
    after = clerk.users.get(user_id=user.id)
    assert [p.id for p in after.phone_numbers] == [second.id]
    assert after.primary_phone_number_id == second.id
