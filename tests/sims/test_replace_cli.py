"""`manage.py sim replace OLD --with NEW [--imei IMEI] [--yes]`: it says what will happen in words (the
old SIM terminated for good), asks for a typed yes unless --yes (or --no-input) is given, and starts
nothing otherwise; a handset's IMEI given reaches the new SIM; a bad one is refused before anything."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from common.validators import phone_national
from sims.lifecycle import SimState
from sims.models import GatewayRequest, Replacement
from sims.models_replacements import ReplacementState
from tests.conftest import IMEI, iccid, member_of
from tests.sims.test_replace import KEPT, new_sim, old_sim, run  # noqa: F401 (old_sim: a fixture)
from tests.sims.test_uncertain import fresh

pytestmark = pytest.mark.django_db

OTHER_IMEI = "356938035643809"  # another handset's (a valid check digit)


def replace(*args: str, answer: str | None = None) -> tuple[int, str]:
    """`sim --user clerk replace ...` as a person at a terminal: `answer` is what they type (None: no
    terminal to ask, as in a script). Its exit status and everything it printed."""
    member_of("Customer service", "clerk")
    out = StringIO()
    stdin = {"stdin": StringIO(answer)} if answer is not None else {}
    try:
        call_command("sim", "--user", "clerk", "replace", *args, stdout=out, stderr=out, **stdin)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    return 0, out.getvalue()


@pytest.mark.parametrize("answer", ["no\n", "", "y\n", None])
def test_it_says_what_will_happen_and_starts_nothing_without_a_typed_yes(world, old_sim, answer):  # noqa: F811
    old = old_sim()
    status, out = replace(old.iccid, "--with", iccid(5), answer=answer)
    assert status == 1 and "Nothing started" in out
    assert f"SIM {iccid(5)} will take over from SIM {old.iccid}, with the number {phone_national(KEPT)}" in out
    assert f"SIM {old.iccid} keeps ringing until the number moves" in out
    assert f"SIM {old.iccid} is then terminated for good." in out and "Type yes to go on" in out
    assert f"Handset IMEI: {IMEI} (kept)" in out
    assert not Replacement.objects.exists() and not GatewayRequest.objects.exists()


def test_a_typed_yes_starts_it(world, old_sim):  # noqa: F811
    old = old_sim()
    status, out = replace(old.iccid, "--with", iccid(5), answer="yes\n")
    assert status == 0 and "Type yes to go on" in out
    assert f"Replacement {Replacement.objects.get().pk} started" in out


@pytest.mark.parametrize("flag", ["--yes", "--no-input"])
def test_yes_or_no_input_go_on_without_asking_but_still_say_what_will_happen(world, old_sim, flag):  # noqa: F811
    old = old_sim(state=SimState.SUSPENDED)
    status, out = replace(old.iccid, "--with", iccid(5), flag)
    assert status == 0 and "Type yes" not in out
    assert f"SIM {old.iccid} is suspended: it is terminated first" in out and "aql is first asked 30 minutes" in out
    assert Replacement.objects.get().plan == Replacement.SUSPENDED


def test_a_handsets_imei_given_is_the_new_sims_at_the_end(world, old_sim):  # noqa: F811
    old = old_sim()
    status, out = replace(old.iccid, "--with", iccid(5), "--imei", OTHER_IMEI, "--yes")
    assert status == 0 and f"Handset IMEI: {OTHER_IMEI} (changed from {IMEI})" in out
    replacement = run(world, Replacement.objects.get())
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    assert fresh(new_sim()).imei == OTHER_IMEI and fresh(old).imei == IMEI
    (activation,) = [c for c in world.fake.calls if c.command == "activate"]
    assert activation.params["imei"] == OTHER_IMEI and fresh(new_sim()).number.number == KEPT


def test_a_bad_imei_is_refused_in_words_before_anything_is_asked_or_started(world, old_sim):  # noqa: F811
    old = old_sim()
    status, out = replace(old.iccid, "--with", iccid(5), "--imei", "356938035643808", answer="yes\n")
    assert status == 1 and "That IMEI is not valid" in out
    assert "Type yes" not in out and "will take over" not in out
    assert not Replacement.objects.exists() and not GatewayRequest.objects.exists()


def test_what_would_refuse_it_is_said_before_anything_is_asked(world, old_sim):  # noqa: F811
    old = old_sim()
    status, out = replace(old.iccid, "--with", old.iccid, answer="yes\n")
    assert status == 1 and "cannot replace itself" in out and "Type yes" not in out
    assert not Replacement.objects.exists()


def test_its_help_says_it_asks_and_how_not_to(world, capsys):
    capsys.readouterr()
    with pytest.raises(SystemExit):
        call_command("sim", "replace", "--help")
    helped = " ".join(capsys.readouterr().out.split())
    assert "terminated for good" in helped and "type yes" in helped
    assert "--yes, --no-input" in helped and "--imei IMEI" in helped
