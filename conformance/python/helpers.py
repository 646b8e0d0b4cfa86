"""Helpers shared by the tests: unique identifiers, timestamps, error unpacking.

One server serves the whole suite, so every test builds its identifiers from a fresh random marker
and narrows each listing to its own users.
"""

import os
import secrets
import string
import time
from datetime import datetime, timezone

from clerk_backend_api import Clerk, models
from clerk_backend_api.utils import BackoffStrategy, RetryConfig

ROSTER_URL = os.environ.get("ROSTER_URL", "http://127.0.0.1:8080").rstrip("/")
SECRET_KEY = os.environ.get("ROSTER_SECRET_KEY", "")


def make_client(secret_key: str) -> Clerk:
    # The SDK's default policy retries 5XX for up to an hour; a crashing server must fail fast.
    return Clerk(
        bearer_auth=secret_key,
        server_url=f"{ROSTER_URL}/v1",
        retry_config=RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False),
        timeout_ms=30000,
    )


def marker(length: int = 10) -> str:
    """Lower-case letters and digits, starting with a letter, unique per call."""
    alphabet = string.ascii_lowercase + string.digits
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(alphabet) for _ in range(length - 1)
    )


def digits(n: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(n))


def phone(prefix: str | None = None, suffix: str | None = None) -> str:
    """A fresh E.164 number: +1 and ten digits."""
    prefix = prefix if prefix is not None else digits(7)
    suffix = suffix if suffix is not None else digits(10 - len(prefix))
    return f"+1{prefix}{suffix}"


def wallet() -> str:
    return "0x" + secrets.token_hex(20)


def rfc3339(year: int, month: int = 1, day: int = 1, hour: int = 0) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00.000Z"


def ms(year: int, month: int = 1, day: int = 1, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=timezone.utc).timestamp() * 1000)


def now_ms() -> int:
    return int(time.time() * 1000)


def ids(users) -> list[str]:
    return [u.id for u in users]


def clerk_error(exc_info) -> models.ClerkError:
    """The first typed error of a ClerkErrors exception."""
    err = exc_info.value
    assert isinstance(err, models.ClerkErrors), f"expected ClerkErrors, got {type(err).__name__}: {err}"
    assert err.data.errors, "error envelope has no errors"
    return err.data.errors[0]
