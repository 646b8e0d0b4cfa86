"""PATCH /users/{id}/metadata (deep merge) and PUT /users/{id}/metadata (replace)."""

import time

import pytest

from helpers import marker


@pytest.fixture
def user(clerk):
    return clerk.users.create(
        email_address=[f"meta.{marker()}@example.com"],
        public_metadata={"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]},
        private_metadata={"p": {"q": {"r": 1, "s": 2}}, "t": "keep"},
        unsafe_metadata={"u": 1},
    )


def test_merge_is_deep_and_null_deletes(clerk, user):
    time.sleep(0.002)
    merged = clerk.users.update_metadata(
        user_id=user.id,
        public_metadata={"b": {"c": None, "x": 9}, "e": [3], "f": "new"},
    )
    assert merged.public_metadata == {"a": 1, "b": {"d": 3, "x": 9}, "e": [3], "f": "new"}
    assert merged.updated_at > user.updated_at
    # Tiers not named in the request are untouched.
    assert merged.private_metadata == {"p": {"q": {"r": 1, "s": 2}}, "t": "keep"}
    assert merged.unsafe_metadata == {"u": 1}

    merged = clerk.users.update_metadata(
        user_id=user.id,
        private_metadata={"p": {"q": {"r": None, "z": 26}}, "t": None},
        unsafe_metadata={"v": {"w": True}},
    )
    assert merged.private_metadata == {"p": {"q": {"s": 2, "z": 26}}}
    assert merged.unsafe_metadata == {"u": 1, "v": {"w": True}}
    assert merged.public_metadata == {"a": 1, "b": {"d": 3, "x": 9}, "e": [3], "f": "new"}

    stored = clerk.users.get(user_id=user.id)
    assert stored.public_metadata == merged.public_metadata
    assert stored.private_metadata == merged.private_metadata
    assert stored.unsafe_metadata == merged.unsafe_metadata


def test_merge_overwrites_values_of_another_type(clerk, user):
    merged = clerk.users.update_metadata(user_id=user.id, public_metadata={"a": {"now": "object"}, "b": 5})
    assert merged.public_metadata == {"a": {"now": "object"}, "b": 5, "e": [1, 2]}


def test_replace_overwrites_named_tiers_only(clerk, user):
    time.sleep(0.002)
    replaced = clerk.users.replace_metadata(user_id=user.id, public_metadata={"b": {"only": True}})
    assert replaced.public_metadata == {"b": {"only": True}}
    assert replaced.updated_at > user.updated_at
    assert replaced.private_metadata == {"p": {"q": {"r": 1, "s": 2}}, "t": "keep"}
    assert replaced.unsafe_metadata == {"u": 1}

    cleared = clerk.users.replace_metadata(user_id=user.id, private_metadata={}, unsafe_metadata={"n": [1]})
    assert cleared.public_metadata == {"b": {"only": True}}
    assert cleared.private_metadata == {}
    assert cleared.unsafe_metadata == {"n": [1]}

    stored = clerk.users.get(user_id=user.id)
    assert (stored.public_metadata, stored.private_metadata, stored.unsafe_metadata) == (
        {"b": {"only": True}},
        {},
        {"n": [1]},
    )
