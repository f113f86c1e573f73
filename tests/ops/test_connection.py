"""The Admin page "Connection to aql": the selftest's checks on a button, in a table, for the Admin role."""

import pytest

from ops import gateway
from tests.conftest import PASSWORD, iccid, many_sims, member_of

pytestmark = pytest.mark.django_db

URL = "/admin/aql-connection/"


@pytest.fixture
def admin_client(client, db):
    """Signed in as a member of the Admin role (with the staff flag Django admin wants)."""
    user = member_of("Admin", "admin")
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def test_the_page_is_the_admin_roles(client, world):
    to_sign_in = "/login/?next=/admin/aql-connection/"
    assert client.get(URL)["Location"] == to_sign_in
    supervisor = member_of("Supervisor", "supervisor")
    supervisor.is_staff = True  # the flag alone does not open Django admin (common.use_admin does)
    supervisor.save()
    client.force_login(supervisor)
    assert client.get(URL)["Location"].startswith("/admin/login/")
    assert client.post(URL)["Location"].startswith("/admin/login/")
    assert world.fake.calls == []


def test_the_admin_index_links_to_it(admin_client, world):
    page = admin_client.get("/admin/").content.decode()
    assert f'<a href="{URL}">Connection to aql</a>' in page
    assert world.fake.calls == []  # the index runs no check


def test_showing_the_page_calls_nothing(admin_client, world):
    page = admin_client.get(URL).content.decode()
    assert 'value="Run the checks"' in page and 'id="aql-checks"' not in page
    assert world.fake.calls == []


def test_running_the_checks_shows_each_in_words_in_a_table(admin_client, world):
    page = admin_client.post(URL).content.decode()
    assert "Every check passed" in page
    for name in ("Settings present", "USIM gateway reachable over TLS", "Despatch endpoint accepted the username "
                 "and password", "check_stock answered", "queryiccid answered"):
        assert f'<th scope="row">{name}</th>' in page
    assert f"aql knows {iccid(0)} (a SIM we hold): unused." in page
    assert " ms</td>" in page
    assert sorted(call.command for call in world.fake.calls) == ["check_stock", "queryiccid"]


def test_a_wrong_password_shows_what_to_do_and_never_the_password(admin_client, world, settings, caplog):
    settings.AQL_PASSWORD = "Wr0ng-Pa55word-for-the-page"
    gateway.reset()
    page = admin_client.post(URL).content.decode()
    assert "Not every check passed" in page
    assert "aql refused the username or password" in page
    assert "Check AQL_USERNAME and AQL_PASSWORD against what aql gave you" in page
    for secret in ("Wr0ng-Pa55word-for-the-page", PASSWORD):
        assert secret not in page + caplog.text


def test_a_bad_iccid_is_refused_next_to_its_field_and_nothing_is_sent(admin_client, world):
    page = admin_client.post(URL, {"iccid": "12345"}).content.decode()
    assert "An ICCID is the 19 or 20 digits printed on the SIM card." in page
    assert 'id="aql-checks"' not in page
    assert world.fake.calls == []


def test_a_given_iccid_is_asked_about(admin_client, world):
    page = admin_client.post(URL, {"iccid": iccid(4)}).content.decode()
    assert f"aql knows {iccid(4)} (the ICCID given): unused." in page


def test_running_the_checks_takes_the_same_queries_at_10_and_1000_sims(admin_client, world,
                                                                        django_assert_num_queries):
    # The session, the user and its permissions (one query: common.auth), the SIM to ask about, the kept
    # counts: none a row of each SIM (the session is not saved: renewed at sign-in, common.web.IdleSessionMiddleware).
    with django_assert_num_queries(5):
        admin_client.post(URL)
    many_sims(990)
    with django_assert_num_queries(5):
        admin_client.post(URL)
