"""Ban, unban (single and bulk), lock and unlock."""

from helpers import ids, marker


def new_user(clerk):
    return clerk.users.create(email_address=[f"mod.{marker()}@example.com"])


def test_ban_and_unban(clerk):
    user = new_user(clerk)
    banned = clerk.users.ban(user_id=user.id)
    assert banned.id == user.id
    assert banned.banned is True
    assert clerk.users.get(user_id=user.id).banned is True
    assert ids(clerk.users.list(request={"user_id": [user.id], "banned": True})) == [user.id]

    unbanned = clerk.users.unban(user_id=user.id)
    assert unbanned.banned is False
    assert clerk.users.get(user_id=user.id).banned is False
    assert clerk.users.list(request={"user_id": [user.id], "banned": True}) == []


def test_bulk_ban_and_unban(clerk):
    first, second, bystander = new_user(clerk), new_user(clerk), new_user(clerk)
    everyone = [first.id, second.id, bystander.id]

    banned = clerk.users.bulk_ban(user_ids=[first.id, second.id])
    assert sorted(ids(banned)) == sorted([first.id, second.id])
    assert all(u.banned for u in banned)
    assert sorted(ids(clerk.users.list(request={"user_id": everyone, "banned": True}))) == sorted(
        [first.id, second.id]
    )
    assert clerk.users.get(user_id=bystander.id).banned is False

    unbanned = clerk.users.bulk_unban(user_ids=[first.id, second.id])
    assert sorted(ids(unbanned)) == sorted([first.id, second.id])
    assert not any(u.banned for u in unbanned)
    assert clerk.users.count(request={"user_id": everyone, "banned": True}).total_count == 0


def test_lock_and_unlock(clerk):
    user = new_user(clerk)
    assert user.locked is False

    locked = clerk.users.lock(user_id=user.id)
    assert locked.locked is True
    # The default lockout lasts an hour; an indefinite one would be null.
    assert locked.lockout_expires_in_seconds is None or 0 < locked.lockout_expires_in_seconds <= 3600
    assert clerk.users.get(user_id=user.id).locked is True

    unlocked = clerk.users.unlock(user_id=user.id)
    assert unlocked.locked is False
    assert unlocked.lockout_expires_in_seconds is None
    assert clerk.users.get(user_id=user.id).locked is False
