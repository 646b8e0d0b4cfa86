"""GET /users and GET /users/count: every filter, every ordering, paging.

Each case is narrowed to users made for this module (a `query` on the module's marker, or their
ids), so users from other tests on the same server never show up.
"""

import time

import pytest

from helpers import digits, ids, marker, ms, phone, rfc3339, wallet


@pytest.fixture(scope="module")
def cohort(clerk):
    m = marker()
    p = digits(7)  # every phone number here starts with +1 and this
    w = wallet()
    a = clerk.users.create(
        email_address=[f"a.{m}@example.com", f"a2.{m}@example.org"],
        phone_number=[phone(p, "001")],
        username=f"alpha_{m}",
        external_id=f"ext-a-{m}",
        first_name=f"Ann-Marie{m}",
        last_name="Lee",
        created_at=rfc3339(2001),
    )
    b = clerk.users.create(
        email_address=[f"b.{m}@example.com"],
        phone_number=[phone(p, "002")],
        external_id=f"ext-b-{m}",
        first_name="Bob",
        last_name=f"Lee{m}",
        created_at=rfc3339(2002),
    )
    c = clerk.users.create(
        email_address=[f"c.{m}@example.com"],
        web3_wallet=[w],
        username=f"gamma_{m}",
        external_id=f"ext-c-{m}",
        first_name="Cid",
        last_name="Roe",
        created_at=rfc3339(2003),
    )
    d = clerk.users.create(
        email_address=[f"d.{m}@example.com"],
        external_id=f"ext-d-{m}",
        first_name="Dee",
        last_name="Poe",
        created_at=rfc3339(2004),
    )
    clerk.users.ban(user_id=d.id)
    return {"m": m, "p": p, "w": w, "a": a, "b": b, "c": c, "d": d}


# Each case: a function from the cohort to (filters, names of the expected users, newest first).
CASES = {
    "everyone": lambda k: ({"query": k["m"]}, "dcba"),
    "email_address": lambda k: (
        {"email_address": [f"a2.{k['m']}@example.org", f"b.{k['m']}@example.com", "nobody@example.com"]},
        "ba",
    ),
    "phone_number": lambda k: ({"phone_number": [k["b"].phone_numbers[0].phone_number]}, "b"),
    "external_id": lambda k: ({"external_id": [f"ext-a-{k['m']}", f"ext-c-{k['m']}"]}, "ca"),
    "external_id_plus": lambda k: ({"external_id": [f"+ext-b-{k['m']}"]}, "b"),
    "external_id_exclude": lambda k: ({"query": k["m"], "external_id": [f"-ext-a-{k['m']}"]}, "dcb"),
    "username": lambda k: ({"username": [f"alpha_{k['m']}", f"gamma_{k['m']}"]}, "ca"),
    "web3_wallet": lambda k: ({"web3_wallet": [k["w"]]}, "c"),
    "user_id": lambda k: ({"user_id": [k["a"].id, k["b"].id]}, "ba"),
    "user_id_plus": lambda k: ({"user_id": [f"+{k['c'].id}"]}, "c"),
    "user_id_exclude": lambda k: ({"query": k["m"], "user_id": [f"-{k['a'].id}", f"-{k['d'].id}"]}, "cb"),
    "query_email": lambda k: ({"query": f"a2.{k['m']}"}, "a"),
    "query_phone": lambda k: ({"query": f"{k['p']}002"}, "b"),
    "query_username": lambda k: ({"query": f"gamma_{k['m']}"}, "c"),
    "query_first_name": lambda k: ({"query": f"Marie{k['m']}"}, "a"),
    "query_full_phone": lambda k: ({"query": f"+1{k['p']}002"}, "b"),
    "query_last_name": lambda k: ({"query": f"Lee{k['m']}"}, "b"),
    "query_user_id": lambda k: ({"query": k["c"].id}, "c"),
    "query_web3_wallet": lambda k: ({"query": k["w"][2:30]}, "c"),
    "email_address_query": lambda k: ({"email_address_query": f"A2.{k['m'].upper()}"}, "a"),
    "email_address_query_all": lambda k: ({"email_address_query": k["m"].upper()}, "dcba"),
    "phone_number_query": lambda k: ({"phone_number_query": k["p"]}, "ba"),
    "phone_number_query_plus": lambda k: ({"phone_number_query": f"+1{k['p']}"}, "ba"),
    "username_query": lambda k: ({"username_query": k["m"].upper()}, "ca"),
    "name_query": lambda k: ({"name_query": k["m"].upper()}, "ba"),
    "name_query_first": lambda k: ({"name_query": f"marie{k['m']}"}, "a"),
    "name_query_full": lambda k: ({"name_query": f"Ann-Marie{k['m']} Lee"}, "a"),
    "name_query_short": lambda k: ({"query": k["m"], "name_query": "-M"}, "a"),
    # Characters that are wildcards in SQL LIKE must match literally.
    "name_query_underscore": lambda k: ({"query": k["m"], "name_query": "_"}, ""),
    "email_address_query_percent": lambda k: ({"query": k["m"], "email_address_query": "%"}, ""),
    "username_query_underscore": lambda k: ({"query": k["m"], "username_query": "_"}, "ca"),
    "banned_true": lambda k: ({"query": k["m"], "banned": True}, "d"),
    "banned_false": lambda k: ({"query": k["m"], "banned": False}, "cba"),
    "created_at_after": lambda k: ({"query": k["m"], "created_at_after": ms(2002, 6)}, "dc"),
    "created_at_before": lambda k: ({"query": k["m"], "created_at_before": ms(2002, 6)}, "ba"),
    "created_at_between": lambda k: (
        {"query": k["m"], "created_at_after": ms(2001, 6), "created_at_before": ms(2003, 6)},
        "cb",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_list_filter(clerk, cohort, case):
    filters, expected = CASES[case](cohort)
    users = clerk.users.list(request=filters)
    # Default order is newest first.
    assert ids(users) == [cohort[n].id for n in expected]


@pytest.mark.parametrize("case", CASES)
def test_count_filter(clerk, cohort, case):
    filters, expected = CASES[case](cohort)
    count = clerk.users.count(request=filters)
    assert count.object == "total_count"
    assert count.total_count == len(expected)


@pytest.fixture(scope="module")
def ordered(clerk):
    """Three users whose sortable fields each rank them differently from their creation order.

    Created (back-dated) in the order u0 < u2 < u1, so a server that ignores `order_by` and
    sorts by creation time gives neither the ascending nor the descending order expected below.
    """
    m = marker()
    p = digits(7)
    hexbase = wallet()[2:34]
    # rank of u0, u1, u2 for each field
    ranks = {
        "email_address": (0, 1, 2),
        "phone_number": (2, 1, 0),
        "username": (1, 0, 2),
        "first_name": (1, 2, 0),
        "last_name": (0, 1, 2),
        "web3wallet": (2, 1, 0),
    }
    years = (2010, 2012, 2011)
    users = []
    for i in range(3):
        r = {f: ranks[f][i] for f in ranks}
        users.append(
            clerk.users.create(
                email_address=[f"{'abc'[r['email_address']]}.{m}@example.com"],
                phone_number=[phone(p, f"00{r['phone_number']}")],
                username=f"{'abc'[r['username']]}_{m}",
                first_name=f"{'ABC'[r['first_name']]}first{m}",
                last_name=f"{'ABC'[r['last_name']]}last{m}",
                web3_wallet=[f"0x{hexbase}0000000{r['web3wallet']}"],
                created_at=rfc3339(years[i]),
            )
        )
    # updated_at order u2 < u0 < u1, with gaps wider than the millisecond clock.
    for i in (2, 0, 1):
        time.sleep(0.01)
        users[i] = clerk.users.update(user_id=users[i].id, first_name=users[i].first_name)
    ranks["created_at"] = (0, 2, 1)
    ranks["updated_at"] = (1, 2, 0)
    return users, ranks


SORTABLE = ["created_at", "updated_at", "email_address", "web3wallet", "first_name", "last_name", "phone_number", "username"]


@pytest.mark.parametrize("field", SORTABLE)
@pytest.mark.parametrize("sign", ["+", "-", ""])
def test_order_by(clerk, ordered, field, sign):
    users, ranks = ordered
    ascending = sorted(range(3), key=lambda i: ranks[field][i])
    expected = [users[i].id for i in (reversed(ascending) if sign == "-" else ascending)]
    got = clerk.users.list(request={"user_id": [u.id for u in users], "order_by": f"{sign}{field}"})
    assert ids(got) == expected


@pytest.mark.parametrize("field", ["last_active_at", "last_sign_in_at"])
@pytest.mark.parametrize("sign", ["+", "-"])
def test_order_by_activity(clerk, ordered, field, sign):
    # No user here has signed in, so only acceptance and completeness can be checked.
    users, _ = ordered
    got = clerk.users.list(request={"user_id": [u.id for u in users], "order_by": f"{sign}{field}"})
    assert sorted(ids(got)) == sorted(u.id for u in users)


def test_paging(clerk):
    m = marker()
    made = [
        clerk.users.create(email_address=[f"page{i}.{m}@example.com"], created_at=rfc3339(2000 + i))
        for i in range(5)
    ]
    oldest_first = [u.id for u in made]

    def page(limit, offset):
        return ids(clerk.users.list(request={"query": m, "order_by": "created_at", "limit": limit, "offset": offset}))

    assert page(2, 0) == oldest_first[0:2]
    assert page(2, 2) == oldest_first[2:4]
    assert page(2, 4) == oldest_first[4:]
    assert page(2, 5) == []
    assert page(500, 0) == oldest_first
    assert page(1, 3) == oldest_first[3:4]
    assert clerk.users.count(request={"query": m}).total_count == 5


def test_default_limit_is_ten(clerk):
    m = marker()
    for i in range(11):
        clerk.users.create(email_address=[f"lim{i}.{m}@example.com"])
    # The SDK sends limit=10 itself; the count is unaffected by paging.
    assert len(clerk.users.list(request={"query": m})) == 10
    assert clerk.users.count(request={"query": m}).total_count == 11
