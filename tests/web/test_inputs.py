"""Identifiers take the digits 0-9 only, on every way in (pages, CSV, CLI; the API in
tests/api/test_inputs.py), and a record saved with other digits before that rule leaves every page working."""

import pytest

from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, Sim
from sims.services import imports
from tests.conftest import activation, iccid, manage
from tests.sims.test_imports import problems, source

pytestmark = pytest.mark.django_db

# The simulator's first ICCID typed on a full-width keyboard, and in Arabic-Indic digits.
WIDE = "".join(chr(ord(d) + 0xFEE0) for d in iccid(0))
ARABIC = "".join(chr(ord(d) - ord("0") + 0x0660) for d in iccid(0))
SAY_WHY = "Type the digits as 0 to 9"


@pytest.fixture
def bad_row(world) -> Sim:
    """A SIM saved with full-width digits (as the API, the pages and the CLI once let through), with a request."""
    sim = Sim.objects.create(iccid=WIDE, iccid_reversed=WIDE[::-1], state=SimState.ACTIVE)
    GatewayRequest.objects.create(sim=sim, command=Command.SUSPEND, state=RequestState.FAILED,
                                  state_before=SimState.ACTIVE)
    return sim


def test_every_list_still_opens_with_a_sim_saved_in_full_width_digits_and_names_it(agent, bad_row):
    for url in ("/sims/", "/requests/", "/", "/numbers/", f"/sims/?q={iccid(0)[-6:]}", "/sims/?sort=iccid"):
        assert agent.get(url).status_code == 200, url
    page = agent.get("/sims/").text
    assert WIDE in page and "not a valid ICCID: an admin should correct or delete this record" in page
    assert agent.get(f"/sims/{WIDE}/").status_code == 404  # no page of its own: no address carries it


@pytest.mark.parametrize("typed", [WIDE, ARABIC])
def test_the_add_sims_page_refuses_other_scripts_digits_and_adds_nothing(agent, world, typed):
    before = Sim.objects.count()
    response = agent.post("/sims/add/", {"iccids": typed})
    assert SAY_WHY in response.text
    assert Sim.objects.count() == before


def test_the_add_sims_page_refuses_a_wrong_check_digit(agent, world):
    wrong = iccid(40)[:-1] + str((int(iccid(40)[-1]) + 1) % 10)
    response = agent.post("/sims/add/", {"iccids": wrong})
    assert "this one does not match: a digit is mistyped" in response.text
    assert not Sim.objects.filter(iccid=wrong).exists()


def test_a_csv_import_refuses_other_scripts_digits_on_its_row(world):
    preview = imports.preview(source(f"iccid\n{WIDE}\n{ARABIC}\n"), imports.STOCK)
    assert preview.counts == {"invalid": 2}
    assert all(SAY_WHY in errors["iccid"] for errors in problems(preview).values())


def test_the_cli_refuses_other_scripts_digits_when_adding_or_finding_a_sim(world):
    status, out = manage("sim", "add", WIDE)
    assert status == 1 and SAY_WHY in out and not Sim.objects.filter(iccid=WIDE).exists()
    status, out = manage("sim", "show", WIDE)
    assert status == 1 and SAY_WHY in out


@pytest.mark.parametrize(("field", "typed"), [
    ("imei", "４９０１５４２０３２３７５１８"),
    ("contact_number", "٠١١٣ ٣٢٠ ٣٠٤٠"),
    ("postcode", "LS١٠ 1JQ"),
    ("number", "４４１１３０００００５"),
])
def test_the_activation_form_refuses_other_scripts_digits_at_the_field_and_sends_nothing(agent, world, field, typed):
    response = agent.post(f"/sims/{iccid(0)}/activate/", activation(**{field: typed}))
    assert f'id="id_{field}_error">{SAY_WHY}' in response.text
    assert world.fake.count("activate") == 0


def test_the_number_form_refuses_other_scripts_digits(agent, world, make_sim):
    sim = make_sim(1)
    response = agent.post(f"/sims/{sim.iccid}/number/", {"number": "０１１３０００００９"})
    assert f'id="id_number_error">{SAY_WHY}' in response.text
    assert Sim.objects.get(pk=sim.pk).number is None


@pytest.mark.parametrize(("field", "typed", "words"), [
    ("name", "\u202e", "made only of characters that do not show"),
    ("name", "\u200b\u200b", "made only of characters that do not show"),
    ("name", "Ada\u202eecalevoL", "hidden control character"),
    ("address", "\u2060\n\ufeff", "made only of characters that do not show"),
])
def test_an_invisible_name_or_address_is_refused_at_the_field_and_nothing_is_sent(agent, world, field, typed,
                                                                                 words):
    response = agent.post(f"/sims/{iccid(0)}/activate/", activation(**{field: typed}))
    assert f'id="id_{field}_error">The {field}' in response.text and words in response.text
    assert world.fake.count("activate") == 0


def test_invisible_characters_at_the_ends_of_a_name_are_not_sent_to_aql(agent, world):
    agent.post(f"/sims/{iccid(0)}/activate/", activation(name="\u200bAda Lovelace\u200e"))
    assert [c.params.get("subname") for c in world.fake.calls if c.command == "activate"] == ["Ada Lovelace"]
