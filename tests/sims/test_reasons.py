"""Why a line was stopped (`sims.reasons`): the rules of a reason, the registry rows that ask for one,
the command line's `--reason`, and erasure taking staff's words with the subscriber. Against the
simulator: a refused reason sends nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sims import reasons, services
from sims.lifecycle import TABLE, Command, SimState
from sims.models import GatewayRequest, ScheduledAction, Sim, Subscriber
from tests.conftest import manage

pytestmark = pytest.mark.django_db


def test_only_suspend_and_terminate_ask_why():
    assert {c for c, row in TABLE.items() if row.asks_why} == {Command.SUSPEND, Command.DEACTIVATE}


@pytest.mark.parametrize(("reason", "words", "field"), [
    ("bored", "", "reason"),
    ("other", " ", "reason_words"),
    ("lost", "x" * 201, "reason_words"),
    ("", "words without a reason", "reason"),
])
def test_a_bad_reason_is_refused_by_its_field(reason, words, field):
    with pytest.raises(ValidationError) as refused:
        reasons.clean_reason(reason, words, command=Command.SUSPEND)
    assert field in refused.value.message_dict


def test_a_reason_is_kept_as_typed_on_one_line_and_none_said_stays_none():
    assert reasons.clean_reason("other", " Shop\nclosing  down ", command=Command.DEACTIVATE) == (
        "other", "Shop closing down")
    assert reasons.clean_reason("lost", "", command=Command.SUSPEND) == ("lost", None)
    assert reasons.clean_reason(None, "", command=Command.SUSPEND) == (None, None)  # the system's own: not said
    with pytest.raises(ValidationError):
        reasons.clean_reason("lost", "", command=Command.REACTIVATE)  # carries none


def test_a_services_bad_reason_sends_nothing(world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    with pytest.raises(ValidationError):
        services.sim_suspend(sim_id=sim.pk, actor=staff, reason="other")
    with pytest.raises(ValidationError):
        services.batch_start(sim_ids=[sim.pk], command=Command.DEACTIVATE, actor=staff, reason="bored")
    assert world.fake.count("suspend") == 0 and not GatewayRequest.objects.exists()


def test_the_command_line_suspends_and_terminates_with_a_reason(world, make_sim):
    one, two = make_sim(1, number="44113000001"), make_sim(2, number="44113000002")
    assert manage("sim", "suspend", one.iccid, "--reason", "lost")[0] == 0
    status, _ = manage("sim", "deactivate", two.iccid, "--reason", "other", "--reason-words", "Moved abroad")
    assert status == 0
    assert list(GatewayRequest.objects.order_by("pk").values_list("reason", "reason_words")) == [
        ("lost", None), ("other", "Moved abroad")]
    _, shown = manage("sim", "show", one.iccid, "--json")
    assert '"reason": "lost"' in shown


@pytest.mark.parametrize(("given", "said"), [
    ((), "the following arguments are required: --reason"),
    (("--reason", "bored"), "invalid choice: 'bored'"),
    (("--reason", "other"), "reason_words: Say in a few words why"),
])
def test_the_command_line_refuses_a_missing_or_bad_reason_in_words_and_sends_nothing(world, make_sim, given, said):
    sim = make_sim(1, number="44113000001")
    status, out = manage("sim", "suspend", sim.iccid, *given)
    assert status == 1 and said in out
    assert world.fake.count("suspend") == 0 and not GatewayRequest.objects.exists()


def test_a_reactivation_on_the_command_line_takes_no_reason(world, make_sim):
    sim = make_sim(1, SimState.SUSPENDED, "44113000001")
    status, out = manage("sim", "reactivate", sim.iccid, "--reason", "lost")
    assert status == 1 and "unrecognized arguments: --reason" in out


def test_erasing_the_subscriber_erases_the_words_given_with_a_reason(world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    services.sim_deactivate(sim_id=sim.pk, actor=staff, reason="other", reason_words="Ada Lovelace died")
    services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, actor=staff, reason="other",
                          reason_words="Ada asked for a pause", due_at=timezone.now() + timedelta(days=1))
    Sim.objects.filter(pk=sim.pk).update(state=SimState.TERMINATED,
                                         subscriber=Subscriber.objects.create(name="Ada Lovelace", address="1 Road",
                                                                              postcode="LS1 1AA",
                                                                              contact_number="447700900123"))
    services.subscriber_erase(sim_id=sim.pk, actor=staff)
    request = GatewayRequest.objects.get(sim=sim)
    assert (request.reason, request.reason_words) == ("other", None)  # the reason's code stays: it names no one
    assert ScheduledAction.objects.get().reason_words is None


def test_replaced_is_a_reason_of_the_journal_but_never_staffs_to_give():
    assert reasons.StopReason.REPLACED == "replaced"
    assert "replaced" not in reasons.StaffReason.values
    assert reasons.StaffReason.choices == [c for c in reasons.StopReason.choices if c[0] != "replaced"]
    with pytest.raises(ValidationError) as refused:
        reasons.clean_reason("replaced", "", command=Command.DEACTIVATE)
    assert "given by a replacement only" in str(refused.value.message_dict["reason"])
    assert reasons.why("replaced") == " Why: replaced by a new SIM."  # its name kept as written


def test_no_service_staff_use_takes_replaced_and_nothing_is_sent(world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    for start in (lambda: services.sim_deactivate(sim_id=sim.pk, actor=staff, reason="replaced"),
                  lambda: services.sim_suspend(sim_id=sim.pk, actor=staff, reason="replaced"),
                  lambda: services.batch_start(sim_ids=[sim.pk], command=Command.DEACTIVATE, actor=staff,
                                               reason="replaced"),
                  lambda: services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, actor=staff,
                                                reason="replaced", due_at=timezone.now() + timedelta(days=1))):
        with pytest.raises(ValidationError, match="given by a replacement only"):
            start()
    assert not GatewayRequest.objects.exists() and not ScheduledAction.objects.exists()
    assert world.fake.count("deactivate") == world.fake.count("suspend") == 0


def test_the_command_line_does_not_offer_replaced(world, make_sim, capsys):
    sim = make_sim(1, number="44113000001")
    status, out = manage("sim", "deactivate", sim.iccid, "--reason", "replaced")
    assert status == 1 and "invalid choice: 'replaced'" in out
    capsys.readouterr()
    manage("sim", "deactivate", "--help")
    helped = capsys.readouterr().out  # argparse prints a subcommand's help itself
    assert "fraud_suspected" in helped and "replaced" not in helped
    assert not GatewayRequest.objects.exists()
