"""Django admin's changelist rows drawn by common.templatetags.admin_rows are Django's own markup,
cell for cell, for every admin registered (ours and our dependencies'), sorted, filtered (the
change links keep the filters) and searched; a popup's list is left to Django."""

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.contrib.admin.views.main import IS_POPUP_VAR
from django.urls import resolve, reverse

from common.templatetags import admin_rows
from hooks.models import Subscription
from orders import services as order_services
from sims import services
from sims.models import SimEvent, Subscriber
from tests.orders.test_orders import RECIPIENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows_everywhere(world, make_sim, admin_user):
    """A row or more in every table our admins list: SIMs with numbers, a subscriber, requests and
    events, an order, stock, a webhook subscription."""
    sim = make_sim(1, number="44113000001")
    make_sim(2, state="suspended")
    services.sim_number_change(sim_id=sim.pk, actor=admin_user, number="44113000002")
    sim.subscriber = Subscriber.objects.create(name="Ada <Lovelace> & Co", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save()
    SimEvent.objects.create(sim=sim, action="queried", message='Asked aql "why" <b>')
    world.fake.account.stock = {"AQL-123": 3}
    order_services.order_despatch(actor=admin_user, **RECIPIENT)
    order_services.stock_refresh()
    Subscription.objects.create(url="https://hooks.example.com/x", secret="whsec_x", active=False)


def _changelists(rf, user, query: str = ""):
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if "state__exact" in query and "state" not in model_admin.list_filter:
            continue
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        request = rf.get(url + query)
        request.user, request.resolver_match = user, resolve(url)  # as a served request has: the links keep filters
        changelist = model_admin.get_changelist_instance(request)
        changelist.formset = None  # as changelist_view sets it for a list with no editable rows
        yield meta.label, changelist


@pytest.mark.parametrize(("query", "at_least"),
                         [("", 10), ("?o=-1", 10), ("?q=Ada", 2), ("?state__exact=active&o=1", 1)])
def test_every_changelists_rows_are_djangos_own_markup(rows_everywhere, rf, admin_user, query, at_least):
    drawn = 0
    for label, changelist in _changelists(rf, admin_user, query):
        ours = admin_rows.result_list(changelist)["results"]
        djangos = ["".join(items_for_result(changelist, row, None)) for row in changelist.result_list]
        assert ours == djangos, label
        drawn += len(ours)
    assert drawn >= at_least  # the comparison saw rows


def test_the_rows_links_keep_the_lists_filters_and_escape_what_they_show(rows_everywhere, rf, admin_user):
    sims = dict(_changelists(rf, admin_user, "?state__exact=active&o=1"))["sims.Sim"]
    row = admin_rows.result_list(sims)["results"][0]
    assert "/change/?_changelist_filters=state__exact%3Dactive%26o%3D1" in row
    subscribers = dict(_changelists(rf, admin_user))["sims.Subscriber"]
    assert "Ada &lt;Lovelace&gt; &amp; Co" in admin_rows.result_list(subscribers)["results"][0]


def test_a_popups_list_is_left_to_django(rows_everywhere, rf, admin_user):
    sims = dict(_changelists(rf, admin_user, f"?{IS_POPUP_VAR}=1"))["sims.Sim"]
    results = admin_rows.result_list(sims)["results"]
    assert [len(row) for row in results] == [len(sims.list_display)] * len(results)  # Django's: a cell an item
    assert "data-popup-opener" in str(results[0][0])


def test_the_admin_pages_draw_their_rows_with_it(rows_everywhere, admin_client, monkeypatch):
    page = admin_client.get("/admin/sims/sim/?o=1").content.decode()
    changelist = admin_client.get("/admin/sims/sim/?o=1").context["cl"]
    changelist.formset = None
    rows = admin_rows.result_list(changelist)["results"]
    assert "<tbody>\n" + "".join(f"<tr>{row}</tr>\n" for row in rows) + "\n</tbody>" in page
    headers = page.split('<table id="result_list">')[1].split("</thead>")[0]  # Django's, as before
    assert headers.count('<th scope="col"') == len(changelist.list_display) and 'class="sortremove"' in headers


def test_a_long_list_reads_only_the_columns_its_rows_show(rows_everywhere, admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get("/admin/sims/gatewayrequest/").content.decode()
    rows_read = [q["sql"] for q in captured.captured_queries if '"sims_gatewayrequest"."command"' in q["sql"]]
    assert rows_read and not any('"params"' in sql or '"reply"' in sql for sql in rows_read)
    assert "8944120000000000014" in page  # the SIM's ICCID, read with the request


# The site's (by the minute); noon and "a.m." in words (by the minute); to the second; a zone's name.
@pytest.mark.parametrize("shape", [None, "N j, Y, P", "Y-m-d H:i:s", "D j M Y, P T"])
def test_a_date_and_time_reads_as_djangos_on_any_day_either_side_of_the_clock_change(monkeypatch, shape):
    """Drawn once a minute (a format of the date and the minute alone) or piece by piece (one with
    seconds or a zone's name): Django's text for each, noon and midnight too."""
    from datetime import UTC, datetime, timedelta

    from django.contrib.admin.utils import display_for_field
    from django.db import models
    from django.utils import formats

    if shape:  # the locale's format, as another language would have it
        locale_format = formats.get_format
        monkeypatch.setattr(formats, "get_format", lambda name, *args, **kwargs: (
            shape if name == "DATETIME_FORMAT" else locale_format(name, *args, **kwargs)))
    assert formats.get_format("DATETIME_FORMAT") == (shape or "j M Y H:i")
    field = models.DateTimeField()
    shown = admin_rows._datetime_text("-")
    start = datetime(2026, 3, 28, 23, 59, 30, tzinfo=UTC)
    moments = [start + timedelta(hours=7 * n, minutes=n, seconds=n * 13) for n in range(40)]
    moments += [start + timedelta(seconds=s) for s in (0, 1, 29, 31)]  # one minute's, and the next's
    moments += [datetime(2026, 7, 1, 11, 0, tzinfo=UTC), datetime(2026, 7, 1, 23, 0, 59, tzinfo=UTC)]  # noon, midnight
    for value in [*moments, None]:
        assert shown(value) == display_for_field(value, field, "-"), value
