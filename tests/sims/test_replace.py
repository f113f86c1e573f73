"""Replacing a SIM, keeping its number, against the simulator: each step sent by the worker, the number
never free and never on two SIMs, unknown outcomes waited for, refusals stopping with words."""

import json

import pytest

from common.errors import Refused
from ops import gateway
from sims import services, tasks
from sims.lifecycle import Command, SimState
from sims.models import GatewayRequest, GeographicNumber, Replacement, Sim, SimEvent, Subscriber
from sims.models_replacements import ReplacementState
from tests.conftest import IMEI, iccid, manage, member_of
from tests.sims.test_uncertain import AQL_TAKES, due_now, fresh

pytestmark = pytest.mark.django_db

KEPT = "44113000001"


@pytest.fixture
def old_sim(make_sim):
    """An active SIM with the number KEPT, a subscriber, a handset, and roaming on."""
    def make(state: str = SimState.ACTIVE, services=("mo_voice", "mt_voice", "mo_sms", "mt_sms", "int_roaming")):
        sim = make_sim(1, state=state, number=KEPT, services=services)
        sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                                   contact_number="447700900123")
        sim.imei = IMEI
        sim.save()
        return sim
    return make


def new_sim() -> Sim:
    return Sim.objects.get(iccid=iccid(5))


def holders_at_aql(world, number: str) -> list[str]:
    return [i for i in (iccid(1), iccid(5)) if world.fake.sim(i).geo_nos == number]


def assert_number_safe(world) -> None:
    """The kept number is never free to give out, and never on two SIMs (ours or aql's)."""
    assert not GeographicNumber.objects.available().filter(number=KEPT).exists(), "the kept number was free"
    assert GeographicNumber.objects.in_use().filter(number=KEPT).exists()
    assert Sim.objects.filter(number__number=KEPT).count() <= 1
    assert len(holders_at_aql(world, KEPT)) <= 1


def run(world, replacement: Replacement, passes: int = 12) -> Replacement:
    """The worker, pass after pass, aql finishing each two-step command in between."""
    for _ in range(passes):
        due_now()
        tasks.poll_pass()
        assert_number_safe(world)
        replacement.refresh_from_db()
        if replacement.state != ReplacementState.RUNNING:
            return replacement
        world.fake.advance(AQL_TAKES)
    return replacement


def step_request(replacement: Replacement, step: str) -> GatewayRequest:
    return replacement.steps.filter(step=step).select_related("request").last().request


def test_an_active_sim_is_replaced_end_to_end_keeping_number_subscriber_and_services(world, old_sim):
    old = old_sim()
    clerk = member_of("Customer service", "clerk")  # may replace, though not terminate on its own
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=clerk)
    assert world.fake.count("activate") == 0, "the worker sends the steps, not the page"
    assert_number_safe(world)
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.DONE
    old, new = fresh(old), fresh(new_sim())
    assert new.state == SimState.ACTIVE and new.number.number == KEPT and new.imei == IMEI
    assert new.subscriber.name == "Ada Lovelace" and old.subscriber.name == "Ada Lovelace"
    assert new.int_roaming and new.mo_voice and not new.int_calling
    assert old.state == SimState.TERMINATED and old.number is None
    assert world.fake.sim(new.iccid).geo_nos == KEPT and world.fake.sim(old.iccid).state == "terminated"
    assert not GeographicNumber.objects.filter(held_by__isnull=False).exists()  # stand-ins back in the pool
    assert GeographicNumber.objects.available().filter(number=replacement.new_stand_in.number).exists()
    assert GeographicNumber.objects.available().filter(number=replacement.old_stand_in.number).exists()
    assert SimEvent.objects.filter(sim=old, message__contains=f"Replaced by SIM {new.iccid}").exists()
    assert SimEvent.objects.filter(sim=new, message__contains=f"Replaces SIM {old.iccid}").exists()
    for command in ("activate", "addservice", "changegeo", "deactivate"):
        assert world.fake.count(command) == (2 if command == "changegeo" else 1), command


def test_a_suspended_sim_is_terminated_then_its_number_moves(world, staff, old_sim):
    old = old_sim(state=SimState.SUSPENDED)
    replacement = run(world, services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff))
    assert replacement.state == ReplacementState.DONE
    assert [s.step for s in replacement.steps.all()] == ["activate", "add", "old_end", "new_on"]
    assert fresh(new_sim()).number.number == KEPT and fresh(old).state == SimState.TERMINATED
    assert world.fake.count("changegeo") == 1  # the old SIM never moved: changegeo needs it active


def test_no_other_command_may_take_the_number_or_either_sim_while_it_runs(world, staff, old_sim, make_sim):
    old = old_sim()
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    run(world, replacement, passes=1)  # the new SIM is being activated
    other = make_sim(2, number="44113000002")
    other.subscriber = Subscriber.objects.create(name="Bob", address="2 Road", postcode="LS1 1AA",
                                                 contact_number="447700900124")
    other.save()
    with pytest.raises(Refused, match="already in use"):
        services.sim_number_change(sim_id=other.pk, actor=staff, number=KEPT)
    with pytest.raises(Refused, match="part of replacement"):
        services.sim_suspend(sim_id=old.pk, actor=staff)
    with pytest.raises(Refused, match="already part of replacement"):
        services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(6)).pk, actor=staff)
    with pytest.raises(Refused, match="must be unused"):
        services.sim_replace(sim_id=other.pk, new_sim_id=new_sim().pk, actor=staff)


def test_a_lost_reply_makes_the_procedure_wait_then_it_settles_by_evidence_and_finishes(world, staff, old_sim,
                                                                                        settings):
    old = old_sim()
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0  # the activation's reply is lost
    due_now()
    tasks.poll_pass()
    replacement.refresh_from_db()
    assert replacement.state == ReplacementState.WAITING
    world.fake.faults.hang_rate = 0
    for _ in range(2):  # aql is still working: the procedure does not move
        due_now()
        tasks.poll_pass()
        replacement.refresh_from_db()
        assert replacement.state == ReplacementState.WAITING and replacement.step == "activate"
    world.fake.advance(AQL_TAKES)
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.DONE
    assert world.fake.count("activate") == 1 and world.fake.count("deactivate") == 1  # nothing sent twice


def test_a_refused_step_stops_with_words_holds_the_number_and_resumes(world, staff, old_sim):
    old = old_sim()
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    world.fake.faults.fail_rate = 1.0  # the network refuses the activation
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.STOPPED and replacement.step == "activate"
    assert "resume" in replacement.stopped_why and "refused" in replacement.stopped_why
    assert_number_safe(world)
    assert fresh(new_sim()).state == SimState.UNUSED
    world.fake.faults.fail_rate = 0.0
    services.replacement_resume(replacement_id=replacement.pk, actor=staff)
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.DONE
    assert world.fake.count("activate") == 2  # once refused, once again on resume


def test_a_refusal_by_aql_says_the_codes_meaning(world, staff, old_sim):
    old = old_sim()
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff, imei="490154203237518")
    world.fake.account.foreign_imeis.add("490154203237518")  # 63021: not owner of the IMEI
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.STOPPED
    assert "63021" in replacement.stopped_why and "IMEI" in replacement.stopped_why


def test_abandon_leaves_the_number_where_aql_has_it(world, staff, old_sim):
    old = old_sim()
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    world.fake.faults.fail_rate = 1.0
    replacement = run(world, replacement)
    services.replacement_abandon(replacement_id=replacement.pk, actor=staff)
    replacement.refresh_from_db()
    assert replacement.state == ReplacementState.ABANDONED
    assert SimEvent.objects.filter(sim=old, message__contains=f"stays on SIM {old.iccid}").exists()
    services.sim_suspend(sim_id=old.pk, actor=staff)  # the SIM takes commands again


def test_replace_refuses_in_words(world, staff, old_sim):
    old = old_sim()
    with pytest.raises(Refused, match="cannot replace itself"):
        services.sim_replace(sim_id=old.pk, new_sim_id=old.pk, actor=staff)
    with pytest.raises(Refused, match="Only an active, suspended or terminated SIM"):
        services.sim_replace(sim_id=new_sim().pk, new_sim_id=Sim.objects.get(iccid=iccid(6)).pk, actor=staff)
    services.sim_services_add(sim_id=old.pk, actor=staff, services=["int_calling"])  # only a suspend may be in flight
    with pytest.raises(Refused, match="still in progress"):
        services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    assert not Replacement.objects.exists()
    assert not GatewayRequest.objects.filter(command=Command.ACTIVATE).exists()


def test_the_command_line_starts_a_replacement_and_refuses_in_words(world, old_sim):
    old = old_sim()
    member_of("Observer", "watcher")
    member_of("Customer service", "clerk")
    assert manage("sim", "--user", "watcher", "replace", old.iccid, "--with", iccid(5))[0] == 1
    status, out = manage("sim", "--user", "clerk", "replace", old.iccid, "--with", iccid(5), "--yes")
    assert status == 0 and "Replacement" in out and "activating the new sim" in out.lower()
    status, out = manage("sim", "--user", "clerk", "replace", old.iccid, "--with", iccid(6), "--yes")
    assert status == 1 and "already part of replacement" in out
    assert run(world, Replacement.objects.get()).state == ReplacementState.DONE


def test_sim_show_json_names_the_replacement_and_the_other_sim(world, old_sim):
    old = old_sim()
    member_of("Customer service", "clerk")
    assert json.loads(manage("sim", "--user", "clerk", "show", old.iccid, "--json")[1])["replacement"] is None
    manage("sim", "--user", "clerk", "replace", old.iccid, "--with", iccid(5), "--yes")
    replacement = Replacement.objects.get()
    shown = json.loads(manage("sim", "--user", "clerk", "show", old.iccid, "--json")[1])["replacement"]
    assert shown["id"] == replacement.pk and shown["state"] == "running" and shown["step"] == "activate"
    assert shown["this_sim_is"] == "old" and shown["other_iccid"] == iccid(5) and shown["number"] == KEPT
    run(world, replacement)
    shown = json.loads(manage("sim", "--user", "clerk", "show", iccid(5), "--json")[1])["replacement"]
    assert (shown["state"], shown["step"], shown["this_sim_is"]) == ("done", None, "new")
    assert shown["other_iccid"] == old.iccid and shown["said"].startswith("Done")


def worker(world, replacement: Replacement, until: tuple[str, ...], passes: int = 12) -> Replacement:
    """The worker, pass after pass (aql finishing each two-step command in between), until the
    procedure is in one of `until`; the kept number checked safe after every pass."""
    for _ in range(passes):
        due_now()
        tasks.poll_pass()
        assert_number_safe(world)
        replacement.refresh_from_db()
        if replacement.state in until:
            return replacement
        world.fake.advance(AQL_TAKES)
    return replacement
