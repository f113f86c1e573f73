"""Who may own an API key (api/keys.py): a person who can sign in, never the system account, in
Django admin and in the service every other path calls."""

import pytest

from api import keys
from api.models import ApiKey
from common.errors import Refused
from common.roles import system_user
from tests.api.conftest import KeyClient
from tests.conftest import member_of

pytestmark = pytest.mark.django_db


def test_the_service_refuses_a_key_owned_by_the_system_account():
    with pytest.raises(Refused, match="The system account is the worker's") as refused:
        keys.key_create(name="shop", role="Supervisor", owner=system_user(), actor=None)
    assert refused.value.field == "owner" and not ApiKey.objects.exists()


def test_the_service_refuses_a_key_owned_by_a_deactivated_account():
    gone = member_of("Supervisor", "gone")
    gone.is_active = False
    gone.save()
    with pytest.raises(Refused, match="gone's account is deactivated"):
        keys.key_create(name="shop", role="Supervisor", owner=gone, actor=None)
    assert not ApiKey.objects.exists()


def test_django_admin_does_not_offer_the_system_account_as_a_keys_owner(admin_client):
    system, observer = system_user(), member_of("Observer", "watcher")
    form = admin_client.get("/admin/api/apikey/add/").context["adminform"].form
    offered = set(form.fields["owner"].queryset)
    assert observer in offered and system not in offered
    observer_role = form.fields["role"].queryset.get(name="Observer")
    response = admin_client.post("/admin/api/apikey/add/", {"name": "shop", "owner": system.pk,
                                                            "role": observer_role.pk})
    assert "owner" in response.context["adminform"].form.errors and not ApiKey.objects.exists()


def test_a_key_the_system_account_was_given_before_the_check_no_longer_works(world):
    row = ApiKey(name="old", owner=system_user(), role=member_of("Observer", "watcher").groups.get())
    row.prefix, key = "0ld0ld00", "mvno_0ld0ld00_secret"
    row.hashed = keys._hash(key)
    row.save()
    assert keys.key_for(key) is None
    assert KeyClient(key).get("/api/v1/sims").status_code == 401
