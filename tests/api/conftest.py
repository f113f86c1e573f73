"""An API client with a key of a role: `as_role("Observer")` gives a client whose calls carry its key."""

from collections.abc import Callable

import pytest
from django.test import Client

from api import keys
from tests.conftest import member_of


class KeyClient(Client):
    """Django's test client, each call signed with an API key, JSON by default."""

    def __init__(self, key: str) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {key}")
        self.key = key

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data if data is not None else {}, content_type=content_type, **extra)

    def put(self, path, data=None, content_type="application/json", **extra):
        return super().put(path, data if data is not None else {}, content_type=content_type, **extra)


@pytest.fixture
def as_role(db, django_user_model) -> Callable[[str], KeyClient]:
    def make(role: str, username: str = "") -> KeyClient:
        owner = member_of(role, username or role.lower().replace(" ", "-"), django_user_model)
        row, key = keys.key_create(name="shop", role=role, owner=owner, actor=None)
        client = KeyClient(key)
        client.row = row
        return client

    return make


@pytest.fixture
def agent_api(as_role) -> KeyClient:
    return as_role("Customer service")
