"""Email addresses and phone numbers through the SDK: create, get, update, delete, and the typed
errors of the rules that guard them."""

import json
import os
import re
import subprocess

import pytest
from clerk_backend_api import models

from helpers import clerk_error, marker, phone
from roster_db import database_env


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
    # The SDK types no 422 for this operation, so the same envelope arrives as an SDKError.
    with pytest.raises(models.SDKError) as needs_verification:
        clerk.email_addresses.update(email_address_id=unverified.id, primary=True)
    assert needs_verification.value.status_code == 422
    body = json.loads(needs_verification.value.body)
    assert body["errors"][0]["code"] == "form_verification_needed"

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


def queued_code(recipient: str) -> str:
    """The code in the newest verification message to `recipient`, read with `roster mail list`
    from the suite server's outbox (it has no SMTP server)."""
    listing = subprocess.run(
        [os.environ["SUITE_ROSTER_BIN"], "mail", "list", "--limit", "200"],
        env={
            "ROSTER_DATA_DIR": os.environ["SUITE_DATA_DIR"],
            "PATH": os.environ.get("PATH", ""),
            **database_env(os.environ["SUITE_DATA_DIR"]),
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for block in listing.split("\n\n"):
        header = block.splitlines()[0] if block.strip() else ""
        if f"\t{recipient}\tverification_code" in header:
            return re.search(r"\b(\d{6})\b", block).group(1)
    raise AssertionError(f"no code queued for {recipient}:\n{listing}")


def test_email_address_verification_by_code(clerk):
    tag = marker()
    user = clerk.users.create(username=f"v_{tag}")
    address = f"verify.{tag}@example.com"
    email = clerk.email_addresses.create(request={"user_id": user.id, "email_address": address})
    prepared = clerk.email_addresses.prepare_verification(email_address_id=email.id)
    assert prepared.status == "unverified"
    assert prepared.strategy == "email_code"
    code = queued_code(address)
    wrong = ("1" if code[0] == "0" else "0") + code[1:]
    missed = clerk.email_addresses.attempt_verification(
        email_address_id=email.id, verification_id=prepared.id, code=wrong
    )
    assert missed.status == "unverified"
    assert missed.attempts == 1
    verified = clerk.email_addresses.attempt_verification(
        email_address_id=email.id, verification_id=prepared.id, code=code
    )
    assert verified.status == "verified"
    assert clerk.email_addresses.get(email_address_id=email.id).verification.status == "verified"


def test_phone_number_verification_by_code(clerk):
    user = clerk.users.create(username=f"v_{marker()}")
    number = phone()
    created = clerk.phone_numbers.create(request={"user_id": user.id, "phone_number": number})
    prepared = clerk.phone_numbers.prepare_verification(phone_number_id=created.id)
    assert prepared.strategy == "phone_code"
    assert prepared.channel == "sms"
    verified = clerk.phone_numbers.attempt_verification(
        phone_number_id=created.id, verification_id=prepared.id, code=queued_code(number)
    )
    assert verified.status == "verified"


def test_replace_for_user(clerk):
    tag = marker()
    user = clerk.users.create(email_address=[f"a.{tag}@example.com", f"b.{tag}@example.com"])
    replaced = clerk.email_addresses.replace_for_user(
        user_id=user.id, email_address=f"c.{tag}@example.com"
    )
    after = clerk.users.get(user_id=user.id)
    assert [e.email_address for e in after.email_addresses] == [f"c.{tag}@example.com"]
    assert after.primary_email_address_id == replaced.id
    number = phone()
    replaced_phone = clerk.phone_numbers.replace_for_user(user_id=user.id, phone_number=number)
    assert clerk.users.get(user_id=user.id).primary_phone_number_id == replaced_phone.id
