"""Error statuses and codes that applications branch on."""

import pytest
from clerk_backend_api import models

from helpers import clerk_error, make_client, marker, phone, wallet

MISSING_ID = "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S"


def assert_identifier_exists(exc, param_name):
    assert exc.value.status_code == 422
    error = clerk_error(exc)
    assert error.code == "form_identifier_exists"
    assert (error.meta or {}).get("param_name") == param_name
    assert error.message and error.long_message


def test_duplicate_email_on_create(clerk):
    email = f"dup.{marker()}@example.com"
    clerk.users.create(email_address=[email])
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.create(email_address=[email])
    assert_identifier_exists(exc, "email_address")
    assert clerk.users.count(request={"email_address": [email]}).total_count == 1


def test_duplicate_username_on_create(clerk):
    m = marker()
    clerk.users.create(email_address=[f"u1.{m}@example.com"], username=f"dup_{m}")
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.create(email_address=[f"u2.{m}@example.com"], username=f"dup_{m}")
    assert_identifier_exists(exc, "username")
    # The refused create left nothing behind, not even its email address.
    assert clerk.users.count(request={"email_address": [f"u2.{m}@example.com"]}).total_count == 0


def test_duplicate_phone_on_create(clerk):
    m = marker()
    number = phone()
    clerk.users.create(email_address=[f"p1.{m}@example.com"], phone_number=[number])
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.create(email_address=[f"p2.{m}@example.com"], phone_number=[number])
    assert_identifier_exists(exc, "phone_number")


def test_duplicate_web3_wallet_on_create(clerk):
    m = marker()
    address = wallet()
    clerk.users.create(email_address=[f"w1.{m}@example.com"], web3_wallet=[address])
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.create(email_address=[f"w2.{m}@example.com"], web3_wallet=[address])
    assert exc.value.status_code == 422
    assert clerk_error(exc).code == "form_identifier_exists"


def test_duplicate_external_id_on_create(clerk):
    # The external id must be unique; the status and code of the refusal are not documented.
    m = marker()
    clerk.users.create(email_address=[f"e1.{m}@example.com"], external_id=f"dup-{m}")
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.create(email_address=[f"e2.{m}@example.com"], external_id=f"dup-{m}")
    assert 400 <= exc.value.status_code < 500
    assert clerk.users.count(request={"external_id": [f"dup-{m}"]}).total_count == 1


def test_duplicate_username_on_update(clerk):
    m = marker()
    clerk.users.create(email_address=[f"x1.{m}@example.com"], username=f"taken_{m}")
    other = clerk.users.create(email_address=[f"x2.{m}@example.com"], username=f"mine_{m}")
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.update(user_id=other.id, username=f"taken_{m}")
    assert_identifier_exists(exc, "username")
    assert clerk.users.get(user_id=other.id).username == f"mine_{m}"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.users.get(user_id=MISSING_ID),
        lambda c: c.users.update(user_id=MISSING_ID, first_name="Nobody"),
        lambda c: c.users.delete(user_id=MISSING_ID),
        lambda c: c.users.update_metadata(user_id=MISSING_ID, public_metadata={"a": 1}),
        lambda c: c.users.replace_metadata(user_id=MISSING_ID, public_metadata={"a": 1}),
    ],
    ids=["get", "update", "delete", "update_metadata", "replace_metadata"],
)
def test_unknown_user_is_not_found(clerk, call):
    with pytest.raises(models.ClerkErrors) as exc:
        call(clerk)
    assert exc.value.status_code == 404
    assert clerk_error(exc).code == "resource_not_found"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.users.ban(user_id=MISSING_ID),
        lambda c: c.users.unban(user_id=MISSING_ID),
        lambda c: c.users.lock(user_id=MISSING_ID),
        lambda c: c.users.unlock(user_id=MISSING_ID),
    ],
    ids=["ban", "unban", "lock", "unlock"],
)
def test_unknown_user_is_not_found_for_moderation(clerk, call):
    # These operations declare no typed 404, so the SDK raises its generic error with the status.
    with pytest.raises(models.ClerkBaseError) as exc:
        call(clerk)
    assert exc.value.status_code == 404
    assert '"resource_not_found"' in exc.value.body


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.users.list(),
        lambda c: c.users.get(user_id=MISSING_ID),
        lambda c: c.users.create(email_address=[f"k.{marker()}@example.com"]),
    ],
    ids=["list", "get", "create"],
)
@pytest.mark.parametrize("key", ["sk_test_" + marker(32), None], ids=["wrong", "missing"])
def test_bad_secret_key_is_unauthorized(call, key):
    with pytest.raises(models.ClerkErrors) as exc:
        call(make_client(key))
    assert exc.value.status_code == 401
    assert clerk_error(exc).code


@pytest.mark.parametrize("limit", [0, 501])
def test_limit_out_of_range_is_refused(clerk, limit):
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.list(request={"limit": limit})
    assert exc.value.status_code == 422
