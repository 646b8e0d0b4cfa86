"""Webhook deliveries checked by the official `standardwebhooks` library: every event of a
series of changes arrives, in order per user, even when the receiver was down while the changes
were made, and even when Roster was killed with SIGKILL right after a write."""

import pytest

from webhook_tools import Receiver, RosterProcess


@pytest.fixture
def roster():
    server = RosterProcess().start()
    yield server
    server.stop()


def subscribe(roster, receiver):
    endpoint = roster.api("POST", "/webhook_endpoints", {"url": receiver.url})
    assert endpoint["secret"].startswith("whsec_")
    receiver.secret = endpoint["secret"]
    return endpoint


def test_every_event_arrives_verified_after_the_receiver_comes_up(roster):
    receiver = Receiver()
    endpoint = subscribe(roster, receiver)
    expected = {}
    for n in range(3):
        user = roster.api("POST", "/users", {"first_name": f"W{n}"})
        roster.api("PATCH", f"/users/{user['id']}", {"last_name": "one"})
        session = roster.api("POST", "/sessions", {"user_id": user["id"]})
        roster.api("POST", f"/sessions/{session['id']}/revoke", {})
        roster.api("DELETE", f"/users/{user['id']}")
        expected[user["id"]] = [
            "user.created",
            "user.updated",
            "session.created",
            "session.revoked",
            "user.deleted",
        ]
    try:
        # The receiver is down: wait until Roster has tried and failed at least once.
        receiver.wait_for(lambda _: any(
            d["attempts"] > 0 and d["status"] == "pending"
            for d in roster.api("GET", f"/webhook_endpoints/{endpoint['id']}/deliveries")
        ), timeout=30)
        receiver.start()
        events = receiver.wait_for(lambda events: len(events) >= 15)
    finally:
        receiver.stop()
    assert len(events) == 15
    for user_id, types in expected.items():
        def of_user(event):
            data = event["data"]
            return data.get("id") == user_id or data.get("user_id") == user_id
        assert [e["type"] for e in events if of_user(e)] == types
    for event in events:
        assert event["object"] == "event"
        assert event["instance_id"].startswith("ins_")
    assert len(set(receiver.svix_ids)) == 15
    deliveries = roster.api("GET", f"/webhook_endpoints/{endpoint['id']}/deliveries?limit=100")
    assert {d["status"] for d in deliveries} == {"delivered"}
    assert max(d["attempts"] for d in deliveries) >= 2


def test_an_event_written_right_before_a_sigkill_still_arrives():
    receiver = Receiver()
    first = RosterProcess().start()
    try:
        subscribe(first, receiver)
        user = first.api("POST", "/users", {"first_name": "Killed"})
        first.kill()
        assert receiver.events == []
        receiver.start()
        second = RosterProcess(data_dir=first.data_dir)
        second.key = first.key
        second.start()
        try:
            events = receiver.wait_for(lambda events: len(events) >= 1)
        finally:
            second.stop()
    finally:
        first.stop()
        receiver.stop()
    assert events[0]["type"] == "user.created"
    assert events[0]["data"]["id"] == user["id"]
