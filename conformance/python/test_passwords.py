"""Passwords through the SDK: create with a password or an imported digest, verify_password,
the compromised flag and removal."""

import json

import pytest
from clerk_backend_api import models

from helpers import clerk_error, marker

# A bcrypt digest (cost 4) of "  spaces at both ends  ", from the shared hasher vectors.
BCRYPT_DIGEST = "$2b$04$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O"
PASSWORD = "  spaces at both ends  "


def refused_code(exc_info, status: int) -> str:
    err = exc_info.value
    assert err.status_code == status, err
    return json.loads(err.body)["errors"][0]["code"]


def test_password_is_set_verified_and_removed(clerk):
    user = clerk.users.create(
        email_address=[f"pw.{marker()}@example.com"], password="a sturdy passphrase"
    )
    assert user.password_enabled is True
    assert user.password_last_updated_at is not None
    assert clerk.users.verify_password(user_id=user.id, password="a sturdy passphrase").verified
    with pytest.raises((models.SDKError, models.ClerkErrors)) as wrong:
        clerk.users.verify_password(user_id=user.id, password="not it")
    assert refused_code(wrong, 422) == "incorrect_password"

    # The SDK's User model has no requires_password_reset; the calls must still parse as users.
    assert clerk.users.set_password_compromised(user_id=user.id).id == user.id
    assert clerk.users.unset_password_compromised(user_id=user.id).id == user.id

    removed = clerk.users.remove_password(user_id=user.id)
    assert removed.password_enabled is False
    with pytest.raises((models.SDKError, models.ClerkErrors)) as none:
        clerk.users.verify_password(user_id=user.id, password="a sturdy passphrase")
    assert refused_code(none, 400) == "no_password_set"


def test_imported_digest_verifies_and_bad_input_is_refused(clerk):
    user = clerk.users.create(
        email_address=[f"pw.{marker()}@example.com"],
        password_digest=BCRYPT_DIGEST,
        password_hasher="bcrypt",
    )
    assert user.password_enabled is True
    assert clerk.users.verify_password(user_id=user.id, password=PASSWORD).verified is True
    # Upgraded to argon2id by the check above; the password still verifies.
    assert clerk.users.verify_password(user_id=user.id, password=PASSWORD).verified is True

    with pytest.raises(models.ClerkErrors) as pwned:
        clerk.users.create(email_address=[f"pw.{marker()}@example.com"], password="password1")
    assert clerk_error(pwned).code == "form_password_pwned"
    with pytest.raises(models.ClerkErrors) as bad:
        clerk.users.create(password_digest="$2b$04$short", password_hasher="bcrypt")
    assert clerk_error(bad).code == "form_password_digest_invalid_code"
