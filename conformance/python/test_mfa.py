"""TOTP and backup codes through the SDK: create with a secret, verify_totp, and the removals."""

import base64
import json
import hashlib
import hmac
import struct
import time

import pytest
from clerk_backend_api import models

from helpers import clerk_error, marker


def sdk_error_code(exc_info, status: int) -> str:
    """verify_totp types only 500 as ClerkErrors; its 4XX answers arrive as SDKError."""
    err = exc_info.value
    assert err.status_code == status, err
    return json.loads(err.body)["errors"][0]["code"]

SECRET = "JBSWY3DPEHPK3PXP"


def totp_now(secret: str) -> str:
    """RFC 6238 with SHA-1, 30-second steps and 6 digits, as authenticator apps compute it."""
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def test_totp_and_backup_codes_verify_and_are_removed(clerk):
    user = clerk.users.create(
        email_address=[f"mfa.{marker()}@example.com"],
        totp_secret=SECRET,
        backup_codes=["recovery-one", "recovery-two"],
    )
    assert user.totp_enabled is True
    assert user.backup_code_enabled is True
    assert user.two_factor_enabled is True
    assert user.mfa_enabled_at is not None

    checked = clerk.users.verify_totp(user_id=user.id, code=totp_now(SECRET))
    assert checked.verified is True
    assert checked.code_type == models.CodeType.TOTP

    used = clerk.users.verify_totp(user_id=user.id, code="recovery-two")
    assert used.code_type == models.CodeType.BACKUP_CODE
    with pytest.raises(models.SDKError) as refused:
        clerk.users.verify_totp(user_id=user.id, code="recovery-two")
    assert sdk_error_code(refused, 422) == "totp_incorrect_code"

    assert clerk.users.delete_backup_codes(user_id=user.id).user_id == user.id
    assert clerk.users.get(user_id=user.id).backup_code_enabled is False
    assert clerk.users.delete_totp(user_id=user.id).user_id == user.id
    after = clerk.users.get(user_id=user.id)
    assert after.totp_enabled is False and after.two_factor_enabled is False
    assert after.mfa_disabled_at is not None


def test_disable_mfa_and_refusals(clerk):
    user = clerk.users.create(email_address=[f"mfa.{marker()}@example.com"], totp_secret=SECRET)
    assert clerk.users.disable_mfa(user_id=user.id).user_id == user.id
    with pytest.raises(models.SDKError) as disabled:
        clerk.users.verify_totp(user_id=user.id, code="123456")
    assert sdk_error_code(disabled, 400) == "totp_disabled"

    with pytest.raises(models.ClerkErrors) as invalid:
        clerk.users.create(email_address=[f"mfa.{marker()}@example.com"], totp_secret="not base32!")
    assert clerk_error(invalid).code == "invalid_totp_secret_code"
