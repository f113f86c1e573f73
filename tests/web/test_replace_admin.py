"""Django admin's replacements: listed with where each stands, and a stopped one resumed or
abandoned by the same services as the SIM page (the permission checked)."""

import pytest

from sims import services
from sims.models import Replacement, Sim
from sims.models_replacements import ReplacementState
from tests.conftest import iccid
from tests.sims.test_replace import old_sim, run  # noqa: F401 (old_sim: a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped(world, staff, old_sim):  # noqa: F811 (the fixture imported above)
    replacement = services.sim_replace(sim_id=old_sim().pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk,
                                       actor=staff)
    world.fake.faults.fail_rate = 1.0  # aql refuses the activation
    replacement = run(world, replacement)
    world.fake.faults.fail_rate = 0.0
    assert replacement.state == ReplacementState.STOPPED
    return replacement


def test_admin_lists_replacements_and_says_where_each_stands(admin_client, stopped):
    page = admin_client.get("/admin/sims/replacement/").text
    assert iccid(1) in page and iccid(5) in page and "Stopped" in page
    page = admin_client.get(f"/admin/sims/replacement/{stopped.pk}/change/").text
    assert "Stopped at “activating the new sim on a stand-in number”" in page


def test_admin_resumes_a_stopped_replacement_and_it_finishes(world, admin_client, stopped):
    admin_client.post("/admin/sims/replacement/", {"action": "resume", "_selected_action": [stopped.pk]})
    stopped.refresh_from_db()
    assert stopped.state == ReplacementState.RUNNING
    assert run(world, stopped).state == ReplacementState.DONE


def test_admin_abandons_a_stopped_replacement_and_refuses_a_finished_one_in_words(admin_client, stopped):
    admin_client.post("/admin/sims/replacement/", {"action": "abandon", "_selected_action": [stopped.pk]})
    assert Replacement.objects.get().state == ReplacementState.ABANDONED
    answer = admin_client.post("/admin/sims/replacement/", {"action": "abandon", "_selected_action": [stopped.pk]},
                               follow=True)
    assert "nothing to abandon" in answer.text
