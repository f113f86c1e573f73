"""Adopting SIMs already in use at aql (sims.services.adoptions), against the simulator started
with an estate our database knows nothing about: each ICCID asked once by the worker's adoption
lane, recorded as aql has it, compared when ours already; nothing but queries on the wire."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from aql.fake import Estate
from common.errors import Refused
from common.models import AuditEvent
from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import AdoptionRow, GeographicNumber, Sim
from sims.selectors_adoptions import adoption_progress
from sims.services.adoptions import lost_before

pytestmark = pytest.mark.django_db
Said, Did, State = AdoptionRow.Said, AdoptionRow.Did, AdoptionRow.State
CALLS_AND_TEXTS = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")


@pytest.fixture
def estate(aql_settings, db, settings) -> Estate:
    """aql with 60 SIMs in use on our account, before we ever asked; the worker's steps run in the
    test's thread (and transaction)."""
    settings.AQL_MAX_CONCURRENCY = 1
    aql_settings.fake.put_estate(Estate(count=60, seed=11))
    return aql_settings.fake.account.estate


def queried(fake) -> Counter:
    """How often each ICCID was asked about."""
    return Counter(call.params["iccid"] for call in fake.calls if call.command == "queryiccid")


def record(sim: Sim) -> dict:
    """Everything of a SIM but when it was last compared with aql."""
    return {f.name: getattr(sim, f.attname) for f in Sim._meta.concrete_fields
            if f.name not in ("checked_at", "drift_at", "recheck_at")}


def test_every_adopted_sim_is_recorded_as_aql_has_it_and_only_queries_go_on_the_wire(estate, aql_settings, staff):
    fake, iccids = aql_settings.fake, list(estate.iccids())
    adoption = services.adoption_start(iccids=iccids, actor=staff, source="a test")
    assert fake.calls == []  # the worker asks, not the one who starts it

    tasks.adopt_pass()

    for iccid in iccids:
        theirs, ours = fake.sim(iccid), Sim.objects.select_related("number").get(iccid=iccid)
        assert ours.state == theirs.state
        assert (ours.number.number if ours.number else None) == theirs.geo_nos
        assert ours.int_roaming == ("int_roaming" in theirs.services)
        assert ours.int_calling == ("int_calling" in theirs.services)
        assert ours.premium == theirs.premium
        live = theirs.state in ("active", "suspended")
        assert all(getattr(ours, name) is (None if live else False) for name in CALLS_AND_TEXTS)  # not known
    assert {call.command for call in fake.calls} == {"queryiccid"}
    assert queried(fake) == Counter(iccids)  # each once
    numbers = GeographicNumber.objects.filter(sim__isnull=False)
    assert numbers.count() == Sim.objects.exclude(number=None).count() > 0  # in the pool, each on its SIM
    said = Counter(adoption.rows.values_list("said", flat=True))
    assert said == Counter(fake.sim(i).state for i in iccids)
    assert set(adoption.rows.values_list("did", flat=True)) == {Did.ADDED}
    adoption.refresh_from_db()
    assert adoption.finished_at is not None
    summary = AuditEvent.objects.get(subject=f"Adoption {adoption.pk}", message__startswith="Finished")
    assert f"{said[Said.ACTIVE]:,} active" in summary.message and summary.actor == staff


def test_an_adopted_sim_says_on_its_timeline_where_it_came_from(estate, aql_settings, staff):
    active = next(i for i in estate.iccids() if estate.sim(i).state == "active")
    adoption = services.adoption_start(iccids=[active], actor=staff, source="a test")
    tasks.adopt_pass()
    sim = Sim.objects.get(iccid=active)
    line = sim.events.get()
    assert line.message.startswith(f"Adopted from aql (adoption {adoption.pk}): active, number 0113 ")
    assert "calls and texts not known" in line.message and line.actor == staff
    assert sim.requests.get().command == "queryiccid"  # the journal holds aql's answer, as for any query
    assert adoption.rows.get().outcome.startswith("Added as aql has it: active")


def test_adopting_again_changes_nothing(estate, aql_settings, staff):
    iccids = list(estate.iccids())
    services.adoption_start(iccids=iccids, actor=staff, source="a test")
    tasks.adopt_pass()
    before = {sim.iccid: record(sim) for sim in Sim.objects.all()}
    pool = list(GeographicNumber.objects.values_list("number", "on_sim"))

    again = services.adoption_start(iccids=iccids, actor=staff, source="a test, again")
    tasks.adopt_pass()

    assert {sim.iccid: record(sim) for sim in Sim.objects.all()} == before
    assert list(GeographicNumber.objects.values_list("number", "on_sim")) == pool
    assert set(again.rows.values_list("did", flat=True)) == {Did.MATCHED}
    assert again.rows.first().outcome == "Ours already, and aql's record matches: nothing changed."


def test_a_worker_stopped_mid_adoption_asks_no_iccid_twice(estate, aql_settings, staff):
    fake, iccids = aql_settings.fake, list(estate.iccids())
    adoption = services.adoption_start(iccids=iccids, actor=staff, source="a test")
    taken = services.adoption_rows_claim(limit=5)  # a worker took five, and stopped before asking aql

    tasks.adopt_pass()  # the next one goes on with the rest
    tasks.adopt_pass()

    assert queried(fake) == Counter(iccids[5:])
    assert set(adoption.rows.filter(pk__in=taken).values_list("state", flat=True)) == {State.ASKING}
    adoption.refresh_from_db()
    assert adoption.finished_at is None  # not known: never reported as done
    with pytest.raises(Refused, match="being asked now"):  # not yet taken for lost: a step may still be at it
        services.adoption_ask_again(adoption_id=adoption.pk, actor=staff)

    adoption.rows.filter(pk__in=taken).update(asked_at=timezone.now() - lost_before() - timedelta(seconds=1))
    assert adoption_progress(adoption, lost_before=lost_before())["lost"] == 5
    assert services.adoption_ask_again(adoption_id=adoption.pk, actor=staff) == 5  # a person, on purpose
    tasks.adopt_pass()

    assert queried(fake) == Counter(iccids)
    adoption.refresh_from_db()
    assert adoption.finished_at is not None


def test_an_iccid_aql_does_not_have_or_calls_invalid_is_reported_and_not_added(estate, aql_settings, staff):
    beyond = list(Estate(count=62, seed=11).iccids())[60:]  # just past the estate: not on our account
    adoption = services.adoption_start(iccids=beyond, actor=staff, source="a test")
    aql_settings.fake.force("queryiccid", [63001])  # the first asked: aql calls it invalid
    tasks.adopt_pass()

    rows = {row.iccid: row for row in adoption.rows.all()}
    assert not Sim.objects.filter(iccid__in=beyond).exists()
    assert rows[beyond[0]].said == Said.INVALID and rows[beyond[0]].codes == [63001]
    assert rows[beyond[1]].said == Said.NOT_ON_ACCOUNT and rows[beyond[1]].did == Did.NOT_ADDED
    assert rows[beyond[1]].outcome == "Not added: This SIM is not on our account at aql. (aql code 63003)."


def test_a_sim_we_hold_that_aql_says_is_not_ours_is_left_as_it_is(estate, aql_settings, staff):
    beyond = list(Estate(count=61, seed=11).iccids())[60]
    services.sim_add(iccids=[beyond])
    adoption = services.adoption_start(iccids=[beyond], actor=staff, source="a test")
    tasks.adopt_pass()
    assert Sim.objects.get(iccid=beyond).state == SimState.UNUSED
    assert adoption.rows.get().outcome.startswith("Ours already, but aql says: This SIM is not on our account")


def test_a_sim_we_hold_follows_aqls_record_and_says_what_differed(estate, aql_settings, staff):
    active = next(i for i in estate.iccids() if estate.sim(i).state == "active")
    services.sim_add(iccids=[active])  # held as unused stock: it was activated elsewhere
    adoption = services.adoption_start(iccids=[active], actor=staff, source="a test")
    tasks.adopt_pass()
    sim = Sim.objects.get(iccid=active)
    assert sim.state == SimState.ACTIVE and sim.number.number == estate.sim(active).geo_nos
    assert all(getattr(sim, name) is None for name in CALLS_AND_TEXTS)  # not known, never guessed off
    row = adoption.rows.get()
    assert row.did == Did.FOLLOWED
    assert row.outcome.startswith("Ours already; aql's record differed, and ours now follows it: state was unused, "
                                  "now active; number was none, now 0113 ")


def test_a_sim_with_a_command_in_flight_is_left_to_that_command(estate, aql_settings, staff):
    fake = aql_settings.fake
    active = next(i for i in estate.iccids() if estate.sim(i).state == "active")
    services.adoption_start(iccids=[active], actor=staff, source="a test")
    tasks.adopt_pass()
    sim = Sim.objects.get(iccid=active)
    services.sim_suspend(sim_id=sim.pk, actor=staff)  # aql is working on it
    held = fake.sim(active)
    fake.put_sim(active, state="active", geo_nos=held.geo_nos, services=held.services | {"int_roaming"},
                 premium=not held.premium)  # (and someone changed it at aql meanwhile)
    before = record(Sim.objects.get(pk=sim.pk))

    adoption = services.adoption_start(iccids=[active], actor=staff, source="a test, again")
    tasks.adopt_pass()

    assert record(Sim.objects.get(pk=sim.pk)) == before
    row = adoption.rows.get()
    assert row.did == Did.LEFT
    assert row.outcome == "Ours already, with Suspend in progress: left to it, as its outcome settles our record."


def test_no_answer_from_aql_is_not_known_and_asked_again_only_when_asked_for(estate, aql_settings, staff):
    fake = aql_settings.fake
    first = next(estate.iccids())
    fake.faults.malformed_rate = 1.0  # aql answers, but nothing we can read
    adoption = services.adoption_start(iccids=[first], actor=staff, source="a test")
    tasks.adopt_pass()
    tasks.adopt_pass()

    row = adoption.rows.get()
    assert (row.said, row.did) == (Said.NO_ANSWER, Did.NOT_KNOWN)
    assert row.outcome.startswith("Not known: aql gave no answer we can read")
    assert not Sim.objects.filter(iccid=first).exists() and queried(fake)[first] == 1
    fake.faults.malformed_rate = 0.0
    assert services.adoption_ask_again(adoption_id=adoption.pk, actor=staff) == 1
    tasks.adopt_pass()
    assert Sim.objects.get(iccid=first).state == fake.sim(first).state


@pytest.mark.parametrize(("given", "words"), [
    (["8944120000100000006"], "Not an ICCID: 8944120000100000006. An ICCID's last digit is a check"),
    (["12345"], "Not an ICCID: 12345. An ICCID is the 19 or 20 digits"),
    (["8944120000100000005", "8944120000100000005"], "Given more than once: 8944120000100000005."),
    ([], "No ICCID given"),
])
def test_a_list_with_a_bad_or_repeated_iccid_is_refused_in_words_and_nothing_is_done(estate, staff, given, words):
    with pytest.raises(ValidationError) as refused:
        services.adoption_start(iccids=given, actor=staff, source="a test")
    assert any(message.startswith(words) for message in refused.value.messages)
    assert not AdoptionRow.objects.exists()


def test_the_workers_follower_asks_adoptions_in_a_lane_of_their_own_after_staffs_commands(estate, aql_settings,
                                                                                        staff):
    from ops import worker

    order = [lane.name for lane in sorted(worker.LANES.values(), key=lambda lane: lane.order)]
    assert order.index("requests") < order.index("adoptions") < order.index("drift")
    iccids = list(estate.iccids())[:5]
    adoption = services.adoption_start(iccids=iccids, actor=staff, source="a test")
    worker.follow(span=4, every=0.05)  # five calls: one second was too short on a busy machine
    assert queried(aql_settings.fake) == Counter(iccids)
    assert set(adoption.rows.values_list("state", flat=True)) == {State.DONE}
