"""Geographic and contact numbers: found however they are typed, offered and shown as staff read
them (0113 000 005), kept and sent in aql's form (44113000005)."""

import pytest
from django.db import connection

from sims import selectors
from sims.forms import ActivateForm, NumberForm
from sims.models import GeographicNumber, Sim, Subscriber
from sims.services import number_add
from tests.conftest import POOL, iccid

pytestmark = pytest.mark.django_db

# one number (aql's 44113000005) written the ways staff write numbers
STYLES = ["0113 000 005", "0113000005", "+44 113 000 005", "44113000005", "+44 (0)113-000-005", "(0113) 000 005"]


@pytest.mark.parametrize("typed", STYLES)
def test_a_sim_is_found_by_its_number_however_it_is_typed(world, make_sim, typed):
    make_sim(4, number="44113000004")
    sim = make_sim(5, number="44113000005")
    assert list(selectors.sims(search=typed)) == [sim]
    # a number is no personal detail: one who may not search by name still finds it
    assert list(selectors.sims(search=typed, by_person=False)) == [sim]


TENS = {str(44113000010 + n) for n in range(10)}  # 0113 000 010 to 0113 000 019, in the pool


@pytest.mark.parametrize(("typed", "found"), [
    ("0113 00", {*POOL, "441130000043"}),
    ("0113 000 01", TENS),
    ("4411300001", TENS),  # aql's form too
    ("+44 (0)113 000 004", {"44113000004", "441130000043"}),
    ("0113 49", {"441134960000"}),
    ("+44 20", {"442079460000"}),
    ("Leeds", set()),
])
def test_the_numbers_filter_finds_the_numbers_that_start_as_typed(world, typed, found):
    number_add(numbers=["441130000043", "441134960000", "442079460000"])
    rows = selectors.number_page(search=typed).rows
    assert {n.number for n in rows} == found


def test_the_numbers_filter_asks_for_an_index_range_not_a_like(world):
    sql = str(GeographicNumber.objects.filter(selectors.number_starts_q("0113 49")).query)
    assert '"number" >= 4411349' in sql and '"number" < 441135)' in sql and "LIKE" not in sql


@pytest.mark.parametrize("form_class", [ActivateForm, NumberForm])
def test_the_number_forms_offer_free_numbers_shown_nationally_and_sent_in_aqls_form(world, make_sim, form_class):
    make_sim(1, number="44113000001")
    box = str(form_class()["number"])
    assert '<option value="0113 000 005">' in box and 'hx-get="/numbers/free/"' in box
    assert "0113 000 001" not in box  # on a SIM: not offered
    assert form_class()["number"].help_text == "A free number from our pool: type its first digits to find one."


@pytest.mark.parametrize("typed", STYLES)
def test_the_change_number_form_reads_a_number_however_it_is_typed(world, typed):
    form = NumberForm({"number": typed})
    assert form.is_valid() and form.cleaned_data["number"] == "44113000005"


def test_the_change_number_form_refuses_what_is_not_a_landline_in_words(world):
    form = NumberForm({"number": "07700 900355"})
    assert form.errors["number"] == ["Enter a UK landline number, like 0113 496 0000 or 441134960000."]


def test_numbers_added_in_bulk_are_read_however_they_are_typed(world, client, staff):
    client.force_login(staff)
    client.post("/numbers/", {"numbers": "0113 496 0005\n+44 (0)113 496 0006, 441134960007"})
    assert GeographicNumber.objects.filter(number__in=["441134960005", "441134960006", "441134960007"]).count() == 3


def test_the_staff_pages_show_numbers_nationally(world, client, staff, make_sim):
    sim = make_sim(5, number="44113000005")
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900355")
    sim.save()
    client.force_login(staff)
    assert "0113 000 005" in client.get("/sims/", {"q": "+44 113 000 005"}).text
    page = client.get(f"/sims/{sim.iccid}/").text
    assert "0113 000 005" in page and "07700 900355" in page and "447700900355" not in page
    assert "Its number now: <span class=\"mono\">0113 000 005</span>" in client.get(f"/sims/{sim.iccid}/number/").text
    assert "0113 000 005" in client.get("/numbers/", {"q": "0113 000 00"}).text


def test_django_admin_shows_numbers_nationally_and_finds_them_however_typed(admin_client, world, make_sim):
    sim = make_sim(5, number="44113000005")
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900355")
    sim.save()
    assert "0113 000 005" in admin_client.get("/admin/sims/sim/", {"q": "+44 113 000 005"}).text
    assert "0113 000 005" in admin_client.get(f"/admin/sims/sim/{sim.pk}/change/").text
    numbers = admin_client.get("/admin/sims/geographicnumber/", {"q": "0113 000 00"}).text
    assert "0113 000 005" in numbers and "0113 000 010" not in numbers
    assert "07700 900355" in admin_client.get("/admin/sims/subscriber/").text
    assert Sim.objects.get(iccid=iccid(5)).number.number == "44113000005"  # kept in aql's form


def test_django_admin_reads_a_subscribers_contact_number_however_typed(admin_client, world):
    person = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                       contact_number="447700900355")
    admin_client.post(f"/admin/sims/subscriber/{person.pk}/change/", {
        "name": "Ada Lovelace", "address": "1 Road", "postcode": "LS1 1AA", "contact_number": "+44 (0)7700 900 123"})
    person.refresh_from_db()
    assert person.contact_number == "447700900123"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL plans by its statistics")
def test_sqlite_reads_free_numbers_and_searches_by_their_own_small_indexes(world):
    # Without statistics SQLite took an index on every NULL for "held by nothing" (the whole pool)
    # and the state's index for a search narrowed by state (every active SIM, in date order).
    free = GeographicNumber.objects.available().order_by("number").values_list("number", flat=True)[:500]
    assert "number_free" in free.explain()
    found = selectors.sims_filtered(search="0018", state="active").order_by("-updated_at", "-pk").values("pk")[:51]
    assert "iccid_reversed" in found.explain()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL plans by its statistics")
def test_sqlite_finds_a_service_within_a_state_by_its_own_index(world):
    # By the state's index alone, unused SIMs with outgoing SMS (none) walked every unused SIM.
    found = selectors.sims_filtered(state="unused", service="mo_sms").order_by(
        *selectors.SIM_SORTS[selectors.sim_sort("iccid", "mo_sms")]).values("pk")[:51]
    assert "sim_state_mo_sms" in found.explain()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL plans by its statistics")
def test_sqlite_takes_sims_for_drift_by_the_live_sims_own_index(world):
    # By drift_at's own index every terminated SIM (never taken again) was skipped at each take.
    from sims.services.followup import drift_lanes

    for lane in drift_lanes()[1:]:  # the first goes by recheck_at's index: the few due a re-check
        assert "sim_drift_live" in lane.values("pk")[:8].explain()
