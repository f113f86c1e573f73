"""The notification pages: the header's count (fetched after the page, one query), the list (each item
linked to what it is about, marked read one by one or all, a fixed number of queries), and preferences."""

import pytest
from django.utils import timezone

from notices.models import Channel, Notice, Preference, Topic

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}  # how the header asks


def notices_for(user, n: int, start: int = 0) -> None:
    Notice.objects.bulk_create(
        Notice(user=user, topic=Topic.STOCK, key=f"test:{start + i}", title=f"Stock of AQL-{start + i} is low",
               link="/stock/", created_at=timezone.now()) for i in range(n))


def test_every_page_has_the_notifications_link_and_its_count_is_fetched_after(agent):
    page = agent.get("/").text
    assert 'href="/notifications/"' in page
    assert 'hx-get="/notifications/count/"' in page  # no page pays a query for it


def test_the_count_is_one_query_and_stops_at_99_plus(agent, staff, django_assert_num_queries):
    notices_for(staff, 3)
    with django_assert_num_queries(3):  # the session, the user, the count (htmx's poll leaves the session be)
        response = agent.get("/notifications/count/", headers=HTMX)
    assert '<span class="count">3<span class="visually-hidden"> unread</span></span>' in response.text
    notices_for(staff, 200, start=10)
    with django_assert_num_queries(3):
        assert '<span class="count">99+<span' in agent.get("/notifications/count/", headers=HTMX).text
    Notice.objects.update(read_at=timezone.now())
    assert agent.get("/notifications/count/").text.strip() == ""


def test_the_list_runs_the_same_queries_for_10_and_1000_notices(agent, staff, django_assert_num_queries):
    notices_for(staff, 10)
    with django_assert_num_queries(5) as ten:  # session, user, ids, rows; perms (one: common.auth)
        agent.get("/notifications/")
    notices_for(staff, 990, start=10)
    with django_assert_num_queries(len(ten)):
        page = agent.get("/notifications/?show=all").text
    assert page.count('<a href="/stock/">Stock of') == 50 and 'rel="next"' in page


def test_each_item_links_to_what_it_is_about_and_is_marked_read_one_and_all(agent, staff, django_user_model):
    notices_for(staff, 3)
    someone = django_user_model.objects.create_user("someone-else")
    notices_for(someone, 1, start=99)
    first, *_ = Notice.objects.filter(user=staff)
    page = agent.get("/notifications/").text
    assert '<a href="/stock/">Stock of AQL-0 is low</a>' in page
    agent.post(f"/notifications/{first.pk}/read/")
    assert Notice.objects.filter(user=staff, read_at__isnull=True).count() == 2
    theirs = Notice.objects.get(user=someone)
    agent.post(f"/notifications/{theirs.pk}/read/")  # not ours: left alone
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = agent.post("/notifications/read-all/", follow=True)
    assert "2 notifications marked read." in response.text
    assert not Notice.objects.filter(user=staff, read_at__isnull=True).exists()
    assert Notice.objects.get(user=someone).read_at is None
    assert "Nothing unread." in agent.get("/notifications/").text


def test_someone_elses_notices_are_never_listed(agent, django_user_model):
    notices_for(django_user_model.objects.create_user("someone-else"), 1)
    assert "AQL-0" not in agent.get("/notifications/?show=all").text


def test_preferences_start_at_the_roles_defaults_and_are_saved(agent, staff):
    page = agent.get("/notifications/preferences/").text
    assert "Webhook subscriptions paused" in page  # a Supervisor's
    assert 'value="immediate" selected' in page
    choices = {t.value: Channel.SITE.value for t in Topic}
    response = agent.post("/notifications/preferences/", choices | {"drift": "daily"}, follow=True)
    assert "Your notification preferences are saved." in response.text
    assert dict(Preference.objects.filter(user=staff).values_list("topic", "channel"))["drift"] == "daily"


def test_a_choice_that_is_not_offered_is_said_next_to_its_field_and_nothing_changes(agent, staff):
    choices = {t.value: Channel.SITE.value for t in Topic}
    response = agent.post("/notifications/preferences/", choices | {"stock": "carrier-pigeon"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.text and "has-error" in response.text
    assert not Preference.objects.filter(user=staff).exists()


def test_an_observer_is_not_offered_webhooks(client, django_user_model):
    from tests.conftest import member_of

    client.force_login(member_of("Observer", "watcher"))
    page = client.get("/notifications/preferences/").text
    assert "Stock below its threshold" in page and "Webhook subscriptions paused" not in page


def test_the_preferences_page_runs_a_fixed_number_of_queries(agent, staff, django_assert_num_queries):
    with django_assert_num_queries(5):  # session, user, groups, preferences; perms (one: common.auth)
        agent.get("/notifications/preferences/")
