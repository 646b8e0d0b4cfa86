"""Profile images through the Python SDK: set_profile_image, profile_image_id on update, and
delete_profile_image; the image_url each answer carries is fetched without a key."""

import struct
import urllib.request
import zlib

import pytest
from clerk_backend_api import models

from helpers import clerk_error


def png(width: int, height: int) -> bytes:
    """A plain RGB PNG, written with zlib alone."""
    rows = b"".join(b"\x00" + bytes([200, 40, 40]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def served_size(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        body = response.read()
    assert body.startswith(b"\x89PNG")
    return struct.unpack(">II", body[16:24])


def upload(clerk, user_id: str, content: bytes):
    return clerk.users.set_profile_image(
        user_id=user_id,
        file={"file_name": "picture.png", "content": content, "content_type": "image/png"},
    )


def test_set_switch_and_delete_profile_image(clerk):
    user = clerk.users.create(first_name="Pic")
    assert user.has_image is False
    default_url = user.image_url

    first = upload(clerk, user.id, png(40, 20))
    assert first.has_image is True
    assert "/images/img_" in first.image_url
    assert first.profile_image_url == first.image_url
    assert served_size(first.image_url) == (40, 20)
    assert served_size(first.image_url + "?width=10") == (10, 5)

    second = upload(clerk, user.id, png(30, 30))
    assert second.image_url != first.image_url
    first_id = first.image_url.rsplit("/", 1)[1]
    switched = clerk.users.update(user_id=user.id, profile_image_id=first_id)
    assert switched.image_url == first.image_url
    assert clerk.users.get(user_id=user.id).image_url == first.image_url

    deleted = clerk.users.delete_profile_image(user_id=user.id)
    assert deleted.has_image is False
    assert deleted.image_url == default_url


def test_refused_uploads_change_nothing(clerk):
    user = clerk.users.create(first_name="Pic")
    with pytest.raises(models.ClerkErrors) as exc:
        upload(clerk, user.id, b"not an image")
    assert exc.value.status_code == 400
    assert clerk_error(exc).code == "request_body_invalid"
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.users.update(user_id=user.id, profile_image_id="img_unknown")
    assert exc.value.status_code == 422
    assert clerk_error(exc).code == "form_resource_not_found"
    assert clerk.users.get(user_id=user.id).has_image is False
