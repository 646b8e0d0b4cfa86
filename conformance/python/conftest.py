import pytest
from clerk_backend_api import Clerk

from helpers import SECRET_KEY, make_client


@pytest.fixture(scope="session")
def clerk() -> Clerk:
    assert SECRET_KEY, "ROSTER_SECRET_KEY must be set (run through conformance/run.sh)"
    return make_client(SECRET_KEY)
