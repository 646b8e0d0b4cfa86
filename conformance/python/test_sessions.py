"""Sessions through the official SDK: create (testing), get, list, revoke, and session tokens
that verify (PyJWT) against the keys `clerk.jwks.get_jwks()` returns."""

import jwt
import pytest
from clerk_backend_api import models

from helpers import ROSTER_URL, clerk_error, marker


def new_user(clerk) -> str:
    return clerk.users.create(first_name=marker()).id


def test_create_get_list_and_revoke(clerk):
    user_id = new_user(clerk)
    first = clerk.sessions.create(request={"user_id": user_id})
    second = clerk.sessions.create(request={"user_id": user_id})
    assert first.object == models.SessionObject.SESSION
    assert first.status == models.Status.ACTIVE
    assert first.user_id == user_id
    assert first.client_id.startswith("client_")
    assert clerk.sessions.get(session_id=first.id) == first

    listed = clerk.sessions.list(user_id=user_id)
    assert [s.id for s in listed] == [second.id, first.id]
    assert [s.id for s in clerk.sessions.list(user_id=user_id, limit=1, offset=1)] == [first.id]
    assert [s.id for s in clerk.sessions.list(client_id=first.client_id)] == [first.id]

    revoked = clerk.sessions.revoke(session_id=first.id)
    assert revoked.status == models.Status.REVOKED
    active = clerk.sessions.list(user_id=user_id, status=models.QueryParamStatus.ACTIVE)
    assert [s.id for s in active] == [second.id]

    assert clerk.users.get(user_id=user_id).last_sign_in_at == second.created_at


def test_unknown_session_is_not_found(clerk):
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.sessions.get(session_id="sess_missing")
    assert clerk_error(exc).code == "resource_not_found"
    assert exc.value.raw_response.status_code == 404


def test_session_tokens_verify_against_the_jwks_and_stop_with_revocation(clerk):
    user_id = new_user(clerk)
    session = clerk.sessions.create(request={"user_id": user_id})
    token = clerk.sessions.create_token(session_id=session.id, expires_in_seconds=120)
    assert token.object == models.CreateSessionTokenObject.TOKEN

    jwks = clerk.jwks.get_jwks()
    header = jwt.get_unverified_header(token.jwt)
    key = next(k for k in jwks.keys if k.kid == header["kid"])
    public_key = jwt.PyJWK.from_dict(
        {"kty": "RSA", "kid": key.kid, "alg": key.alg, "use": key.use, "n": key.n, "e": key.e}
    )
    claims = jwt.decode(token.jwt, public_key.key, algorithms=["RS256"], issuer=ROSTER_URL)
    assert claims["sub"] == user_id
    assert claims["sid"] == session.id
    assert claims["exp"] - claims["iat"] == 120

    clerk.sessions.revoke(session_id=session.id)
    with pytest.raises(models.ClerkErrors) as exc:
        clerk.sessions.create_token(session_id=session.id)
    assert exc.value.raw_response.status_code == 404


def test_banning_revokes_every_session(clerk):
    user_id = new_user(clerk)
    for _ in range(2):
        clerk.sessions.create(request={"user_id": user_id})
    clerk.users.ban(user_id=user_id)
    statuses = {s.status for s in clerk.sessions.list(user_id=user_id)}
    assert statuses == {models.Status.REVOKED}
