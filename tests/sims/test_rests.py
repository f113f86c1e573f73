"""Numbers rest before reuse (sims.services.rests, sims.selectors_rests): a number freed from a
subscriber's SIM by termination or a number change rests NUMBER_REST_DAYS, refused to anyone new
through every way of giving out a number, never to the subscriber it rests for; a Supervisor may end
a rest early, saying why; the worker's ten-minute pass ends those that are over."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from common.errors import Refused
from common.models import AuditAction, AuditEvent
from sims import selectors, services, tasks
from sims.lifecycle import Command, RequestState, SimState
from sims.models import Adoption, AdoptionRow, Batch, GatewayRequest, GeographicNumber, Sim, Subscriber
from sims.services import imports
from sims.services.imports import csvfile, workflow
from tests.conftest import IMEI, POOL, activation, iccid, manage

pytestmark = pytest.mark.django_db

ADA = {"name": "Ada Lovelace", "address": "1 Road", "postcode": "LS1 1AA", "contact_number": "447700900355"}


def with_subscriber(sim: Sim) -> Sim:
    sim.subscriber = Subscriber.objects.create(**ADA)
    sim.save()
    return sim


def settled(world, request: GatewayRequest) -> GatewayRequest:
    """Let aql finish the request, then take the worker's step."""
    world.fake.advance(world.fake.faults.settle_after)
    return services.request_poll(request_id=request.pk)


def number(value: str) -> GeographicNumber:
    return GeographicNumber.objects.get(number=value)


def resting(value: str, *, for_subscriber: Subscriber | None = None, days: int = 90) -> GeographicNumber:
    """A pool number resting as a termination ten days ago would have left it."""
    since = timezone.now() - timedelta(days=10)
    GeographicNumber.objects.filter(number=value).update(rests_since=since, rests_until=since + timedelta(days=days),
                                                         rests_for=for_subscriber)
    return number(value)


def free() -> set[str]:
    return set(GeographicNumber.objects.available().values_list("number", flat=True))


# --- a rest starts when a subscriber's SIM leaves its number ------------------------------------------

def test_terminating_a_sim_with_a_subscriber_makes_its_number_rest_for_them(world, staff, make_sim, settings):
    settings.NUMBER_REST_DAYS = 90
    sim = with_subscriber(make_sim(1, number=POOL[1]))
    assert settled(world, services.sim_deactivate(sim_id=sim.pk, actor=staff)).state == RequestState.SUCCESS
    geo = number(POOL[1])
    assert (geo.on_sim, geo.rests_for_id) == (False, sim.subscriber_id)
    assert geo.rests_until - geo.rests_since == timedelta(days=90)
    assert abs(geo.rests_since - timezone.now()) < timedelta(minutes=1)
    assert POOL[1] not in free() and POOL[1] not in selectors.free_numbers(typed=POOL[1])


def test_terminating_a_sim_without_a_subscriber_frees_its_number_at_once(world, staff, make_sim):
    sim = make_sim(1, number=POOL[1])  # no subscriber: nobody's number, nobody calling it
    settled(world, services.sim_deactivate(sim_id=sim.pk, actor=staff))
    assert number(POOL[1]).rests_until is None and POOL[1] in free()


def test_terminating_a_sim_adopted_in_use_at_aql_makes_its_number_rest_for_nobody(world, staff, make_sim):
    sim = make_sim(1, number=POOL[1])  # adopted: in use at aql, its subscriber not known to us
    adoption = Adoption.objects.create(actor=staff, source="a test", size=1)
    AdoptionRow.objects.create(adoption=adoption, iccid=sim.iccid, sim=sim, said=AdoptionRow.Said.ACTIVE,
                               state=AdoptionRow.State.DONE)
    settled(world, services.sim_deactivate(sim_id=sim.pk, actor=staff))
    geo = number(POOL[1])
    assert geo.rests_until is not None and geo.rests_for is None and POOL[1] not in free()


def test_a_number_change_makes_the_old_number_rest_for_the_sims_subscriber(world, staff, make_sim):
    sim = with_subscriber(make_sim(1, number=POOL[1]))
    services.sim_number_change(sim_id=sim.pk, actor=staff, number=POOL[8])
    old = number(POOL[1])
    assert (old.on_sim, old.rests_for_id) == (False, sim.subscriber_id) and old.rests_until > timezone.now()
    assert POOL[1] not in free()


def test_a_number_aql_says_a_subscribers_sim_no_longer_has_rests_too(world, staff, make_sim):
    sim = with_subscriber(make_sim(1, number=POOL[1]))
    world.fake.put_sim(sim.iccid, state="terminated", geo_nos=None)  # terminated at aql, not through us
    services.sim_query(sim_id=sim.pk, actor=staff)
    assert Sim.objects.get(pk=sim.pk).state == SimState.TERMINATED
    assert number(POOL[1]).rests_for_id == sim.subscriber_id and POOL[1] not in free()


def test_a_replacement_leaves_its_stand_ins_free_and_the_kept_number_with_its_subscriber(world, staff, make_sim):
    from tests.sims.test_replace import run

    old = with_subscriber(make_sim(1, number=POOL[1]))
    replacement = run(world, services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk,
                                                  actor=staff, imei=IMEI))
    assert replacement.state == "done" and Sim.objects.get(iccid=iccid(5)).number.number == POOL[1]
    assert number(POOL[1]).rests_until is None  # on the new SIM: no rest
    stand_ins = {replacement.new_stand_in.number, replacement.old_stand_in.number}
    assert not GeographicNumber.objects.filter(number__in=stand_ins, rests_until__isnull=False).exists()
    assert stand_ins <= free()  # never a subscriber's: nobody calls them


def test_number_rest_days_0_turns_resting_off(world, staff, make_sim, settings):
    settings.NUMBER_REST_DAYS = 0
    sim = with_subscriber(make_sim(1, number=POOL[1]))
    settled(world, services.sim_deactivate(sim_id=sim.pk, actor=staff))
    other = with_subscriber(make_sim(2, number=POOL[2]))
    services.sim_number_change(sim_id=other.pk, actor=staff, number=POOL[8])
    assert number(POOL[1]).rests_until is None and number(POOL[2]).rests_until is None
    assert {POOL[1], POOL[2]} <= free()


# --- a resting number goes to no one new -------------------------------------------------------------------

def test_the_free_numbers_skip_a_resting_number_through_their_own_index(world):
    resting(POOL[5])
    assert POOL[5] not in free() and POOL[5] not in selectors.free_numbers(typed="0113 000 00", limit=20)
    if connection.vendor == "sqlite":
        assert "number_free" in GeographicNumber.objects.available().order_by("number").values("number")[:8].explain()


def test_an_activation_with_a_resting_number_is_refused_in_words_next_to_the_number(world, staff, settings):
    settings.TIME_ZONE = "Europe/London"
    geo = resting(POOL[5])
    with pytest.raises(Refused) as refused:
        services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(3)).pk, actor=staff, **activation(number=POOL[5]))
    since, until = (f"{timezone.localtime(at).day} {timezone.localtime(at):%B %Y}" for at in (geo.rests_since,
                                                                                              geo.rests_until))
    assert (refused.value.field, refused.value.code) == ("number", "number-resting")
    assert refused.value.message == (f"0113 000 005 is resting until {until} (it was another subscriber's until "
                                     f"{since}): numbers rest 90 days before going to someone new.")
    assert Sim.objects.get(iccid=iccid(3)).state == SimState.UNUSED and world.fake.count("activate") == 0
    assert number(POOL[5]).held_by is None


def test_assigning_or_changing_to_a_resting_number_is_refused_for_another_subscriber(world, staff, make_sim):
    resting(POOL[5], for_subscriber=Subscriber.objects.create(**ADA))
    bare = with_subscriber(make_sim(1))
    numbered = with_subscriber(make_sim(2, number=POOL[2]))
    for sim, send in ((bare, services.sim_number_assign), (numbered, services.sim_number_change)):
        with pytest.raises(Refused, match="is resting until"):
            send(sim_id=sim.pk, actor=staff, number=POOL[5])
    assert world.fake.count("assigngeo") == world.fake.count("changegeo") == 0


def test_the_subscriber_it_rests_for_may_have_it_back_by_activation(world, staff, make_sim):
    old = with_subscriber(make_sim(1, number=POOL[1]))
    settled(world, services.sim_deactivate(sim_id=old.pk, actor=staff))
    sim_id = Sim.objects.get(iccid=iccid(2)).pk
    with pytest.raises(Refused, match="is resting until"):  # to anyone else, refused...
        services.sim_activate(sim_id=sim_id, actor=staff, **activation(number=POOL[1]))
    request = services.sim_activate(sim_id=sim_id, actor=staff, **activation(number=POOL[1]),
                                    returning_subscriber_id=old.subscriber_id)  # ...to them, taken
    assert request.state == RequestState.PENDING and number(POOL[1]).held_by == request
    assert settled(world, request).state == RequestState.SUCCESS
    geo = number(POOL[1])
    assert geo.on_sim and (geo.rests_since, geo.rests_until, geo.rests_for) == (None, None, None)  # rest over


def test_the_subscriber_it_rests_for_may_change_back_to_it(world, staff, make_sim):
    sim = with_subscriber(make_sim(1, number=POOL[1]))
    services.sim_number_change(sim_id=sim.pk, actor=staff, number=POOL[8])
    assert services.sim_number_change(sim_id=sim.pk, actor=staff, number=POOL[1]).state == RequestState.SUCCESS
    assert number(POOL[1]).on_sim and number(POOL[1]).rests_until is None
    assert number(POOL[8]).rests_for_id == sim.subscriber_id  # and the one it left rests in turn


def test_an_activation_file_names_a_resting_number_as_a_bad_row_and_skips_it_for_the_next_free(world, staff):
    resting(POOL[0])
    text = ("iccid,imei,number,name,address,postcode,contact\n"
            f"{iccid(1)},{IMEI},{POOL[0]},Ada Lovelace,1 Road,LS1 1AA,0113 320 3040\n"
            f"{iccid(2)},{IMEI},,Ada Lovelace,1 Road,LS1 1AA,0113 320 3040\n")
    upload = imports.upload_preview(file=SimpleUploadedFile("a.csv", text.encode()), kind=imports.ACTIVATE,
                                    actor=staff)
    errors = {r["line"]: r["errors"] for r in upload.preview["problems"]}
    assert errors[2]["number"].startswith("0113 000 000 is resting until ")
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    while imports.activations_queue(upload_id=upload.pk):
        pass
    assert batch.requests.get().params["geo_nos"] == POOL[1]  # the next free one, past the resting one


def test_a_number_that_began_resting_between_the_check_and_the_queue_is_recorded_as_not_done(world, staff):
    text = f"iccid,imei,number,name,address,postcode,contact\n{iccid(1)},{IMEI},{POOL[4]},Ada,1 Rd,LS1 1AA,0113320304\n"
    with imports.reading(lambda: io.BytesIO(text.encode()), imports.ACTIVATE) as (_, _, rows):
        checked = csvfile.Checker(imports.ACTIVATE).check(list(rows))
    assert [r.kind for r in checked] == ["ready"]
    resting(POOL[4])  # meanwhile, its SIM was terminated
    workflow._queue_activations(Batch.objects.create(command=Command.ACTIVATE), checked, {POOL[4]}, staff)
    request = GatewayRequest.objects.get(command=Command.ACTIVATE)
    assert request.state == RequestState.NOT_SENT and "0113 000 004 is resting until" in request.why_not_sent
    assert number(POOL[4]).held_by is None and not Subscriber.objects.exists()


def test_the_command_line_refuses_a_resting_number_in_words(world, make_sim):
    resting(POOL[5])
    status, out = manage("sim", "activate", iccid(3), "--imei", IMEI, "--number", POOL[5], "--name", "Ada Lovelace",
                         "--address", "1 Road", "--postcode", "LS1 1AA", "--contact", "0113 320 3040")
    assert status == 1 and "0113 000 005 is resting until" in out


# --- a rest ends --------------------------------------------------------------------------------------

def test_the_workers_pass_ends_the_rests_that_are_over_and_leaves_the_others(world):
    resting(POOL[5], days=5)  # began ten days ago: over
    resting(POOL[6], days=90)
    tasks.prune_checks_pass()
    assert POOL[5] in free() and number(POOL[5]).rests_since is None
    assert POOL[6] not in free()


def test_a_supervisor_ends_a_rest_early_with_a_reason_recorded(world, staff):
    resting(POOL[5], for_subscriber=Subscriber.objects.create(**ADA))
    services.number_rest_end(number="0113 000 005", actor=staff, reason="  Number ported   away by aql ")
    assert POOL[5] in free() and number(POOL[5]).rests_for is None
    event = AuditEvent.objects.get(action=AuditAction.NUMBER_REST_ENDED)
    assert (event.actor_name, event.subject) == ("agent", "number 0113 000 005")
    assert event.message.endswith("was ended early: Number ported away by aql")


@pytest.mark.parametrize(("typed", "reason", "field", "words"), [
    (POOL[5], " ", "reason", "Say why the rest ends early: the audit trail keeps it."),
    (POOL[6], "a reason", "number", "0113 000 006 is not resting: there is no rest to end."),
    ("0113 496 9999", "a reason", "number", "That number is not in our pool: add it under Numbers first."),
])
def test_ending_a_rest_is_refused_in_words_without_a_reason_or_a_rest(world, staff, typed, reason, field, words):
    resting(POOL[5])
    with pytest.raises(Refused) as refused:
        services.number_rest_end(number=typed, actor=staff, reason=reason)
    assert (refused.value.field, refused.value.message) == (field, words)
    assert number(POOL[5]).rests_until is not None and not AuditEvent.objects.filter(
        action=AuditAction.NUMBER_REST_ENDED).exists()


def test_the_command_line_ends_a_rest_for_a_supervisor_only(world, django_user_model):
    from tests.conftest import member_of

    member_of("Customer service", "cs", django_user_model)
    member_of("Supervisor", "boss", django_user_model)
    resting(POOL[5])
    status, out = manage("numbers", "--user", "cs", "end-rest", POOL[5], "--reason", "asked")
    assert status == 1 and "may not add geographic number" in out and POOL[5] not in free()
    assert manage("numbers", "--user", "boss", "end-rest", POOL[5], "--reason", "asked") == (
        0, "The rest of 0113 000 005 was ended: anyone may have it now.\n")
    assert POOL[5] in free() and AuditEvent.objects.get(action=AuditAction.NUMBER_REST_ENDED).actor_name == "boss"


def test_django_admin_ends_the_selected_rests_with_the_reason_typed(admin_client, world):
    geo = resting(POOL[5])
    admin_client.post("/admin/sims/geographicnumber/", {"action": "end_rest", "_selected_action": [geo.pk],
                                                        "reason": ""}, follow=True)
    assert POOL[5] not in free()  # no reason: refused
    page = admin_client.post("/admin/sims/geographicnumber/", {"action": "end_rest", "_selected_action": [geo.pk],
                                                               "reason": "ported away"}, follow=True)
    assert "0113 000 005: its rest was ended" in page.text and POOL[5] in free()
    assert AuditEvent.objects.get(action=AuditAction.NUMBER_REST_ENDED).message.endswith(": ported away")


def test_erasing_the_subscriber_it_rests_for_leaves_it_resting_for_nobody(world, staff, make_sim):
    sim = with_subscriber(make_sim(1, number=POOL[1]))
    settled(world, services.sim_deactivate(sim_id=sim.pk, actor=staff))
    services.subscriber_erase(sim_id=sim.pk, actor=staff)
    geo = number(POOL[1])
    assert geo.rests_for is None and geo.rests_until is not None and POOL[1] not in free()
