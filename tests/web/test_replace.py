"""The replacement page: the new SIM found by its last digits, a confirmation in words, then both SIM
pages show the procedure and redraw while it moves; a stopped one offers a Supervisor resume or abandon."""

import pytest

from sims import services
from sims.models import Replacement, Sim
from sims.models_replacements import ReplacementState
from tests.conftest import IMEI, iccid, member_of
from tests.sims.test_replace import old_sim, run  # noqa: F401 (old_sim: a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_sim_made(old_sim):  # noqa: F811 (the fixture imported above)
    return old_sim()


def test_customer_service_replaces_a_sim_from_its_page_with_a_confirmation(world, client, old_sim_made):
    old = old_sim_made
    client.force_login(member_of("Customer service", "clerk"))
    assert "Replace this SIM" in client.get(f"/sims/{old.iccid}/").text
    page = client.post(f"/sims/{old.iccid}/replace/", {"new_sim": iccid(5)[-6:], "imei": ""}).text
    assert "will take over from this one" in page and "terminated for good" in page
    assert not Replacement.objects.exists(), "nothing starts before the confirmation"
    answer = client.post(f"/sims/{old.iccid}/replace/", {"new_sim": iccid(5), "imei": "", "confirmed": "1"})
    assert answer.status_code == 302
    replacement = Replacement.objects.get()
    for sim in (old.iccid, iccid(5)):
        page = client.get(f"/sims/{sim}/").text
        assert "Activating the new SIM on a stand-in number".lower() in page.lower()
        assert 'hx-trigger="every 5s"' in page  # redrawn while it moves
    run(world, replacement)
    page = client.get(f"/sims/{iccid(5)}/").text
    assert "Done: the new SIM has the number" in page and f"Replaces SIM {old.iccid}" in page


def test_the_page_refuses_bad_digits_next_to_the_field(world, agent, old_sim_made):
    page = agent.post(f"/sims/{old_sim_made.iccid}/replace/", {"new_sim": "12a"}).text
    assert "at least the last 4 digits" in page
    page = agent.post(f"/sims/{old_sim_made.iccid}/replace/", {"new_sim": "99999999"}).text
    assert "No unused SIM of ours ends with those digits." in page


def test_a_stopped_replacement_offers_a_supervisor_resume_and_abandon(world, agent, staff, old_sim_made):
    replacement = services.sim_replace(sim_id=old_sim_made.pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk,
                                       actor=staff)
    world.fake.faults.fail_rate = 1.0
    run(world, replacement)
    page = agent.get(f"/sims/{old_sim_made.iccid}/").text
    assert "Resume: send the step again" in page and "refused" in page
    agent.post(f"/replacements/{replacement.pk}/abandon/")
    replacement.refresh_from_db()
    assert replacement.state == ReplacementState.ABANDONED


def test_lost_suspends_at_once_and_the_replacement_starts_while_the_suspend_is_with_aql(world, client,
                                                                                         old_sim_made):
    old = old_sim_made
    client.force_login(member_of("Customer service", "clerk"))
    page = client.post(f"/sims/{old.iccid}/suspend/", {"reason": "lost"}, follow=True).text
    assert f'href="/sims/{old.iccid}/replace/"' in page, "the replacement is offered next"
    assert "Replace this SIM…" in client.get(f"/sims/{old.iccid}/").text, "the suspend in flight does not block it"
    page = client.post(f"/sims/{old.iccid}/replace/", {"new_sim": iccid(5)[-6:], "imei": ""}).text
    assert "This SIM is being suspended" in page and "terminated once the suspend is done" in page
    client.post(f"/sims/{old.iccid}/replace/", {"new_sim": iccid(5), "imei": "", "confirmed": "1"})
    assert Replacement.objects.get().plan == Replacement.SUSPENDED


def test_a_changed_imei_is_confirmed_in_words_and_is_the_new_sims_at_the_end(world, agent, old_sim_made):
    old, other = old_sim_made, "356938035643809"
    page = agent.post(f"/sims/{old.iccid}/replace/", {"new_sim": iccid(5)[-6:], "imei": "3569 3803 5643 809"}).text
    assert f"Handset IMEI: {other} (changed from {IMEI})" in page
    assert f'<input type="hidden" name="imei" value="{other}">' in page
    agent.post(f"/sims/{old.iccid}/replace/", {"new_sim": iccid(5), "imei": other, "confirmed": "1"})
    replacement = run(world, Replacement.objects.get())
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    assert Sim.objects.get(iccid=iccid(5)).imei == other and Sim.objects.get(pk=old.pk).imei == IMEI
    (activation,) = [c for c in world.fake.calls if c.command == "activate"]
    assert activation.params["imei"] == other


def test_a_bad_imei_is_refused_next_to_its_field_and_nothing_starts(world, agent, old_sim_made):
    form = {"new_sim": iccid(5)[-6:], "imei": "356938035643808"}
    response = agent.post(f"/sims/{old_sim_made.iccid}/replace/", form)
    assert "That IMEI is not valid" in " ".join(response.context["form"].errors["imei"])
    assert "will take over" not in response.text
    agent.post(f"/sims/{old_sim_made.iccid}/replace/", form | {"new_sim": iccid(5), "confirmed": "1"})
    assert not Replacement.objects.exists()


def test_what_would_refuse_it_is_said_before_the_confirmation(world, agent, staff, old_sim_made):
    services.sim_services_add(sim_id=old_sim_made.pk, actor=staff, services=["int_calling"])  # busy with aql
    page = agent.post(f"/sims/{old_sim_made.iccid}/replace/", {"new_sim": iccid(5)[-6:], "imei": ""}).text
    assert "still in progress" in page and "will take over" not in page
