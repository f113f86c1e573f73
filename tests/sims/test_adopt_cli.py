"""`manage.py sim adopt`: ICCIDs given, or a file of them (one a line, or a CSV with an iccid column),
adopted through the same service as the page; with --wait, asked now and reported."""

from collections import Counter

import pytest

from aql.fake import Estate
from sims.models import Adoption, Sim
from tests.conftest import manage, member_of
from tests.sims.test_adopt import estate, queried  # noqa: F401  (the fixture, and the wire's count)

pytestmark = pytest.mark.django_db


def test_sim_adopt_waits_for_aqls_answers_and_sums_them_up(estate, aql_settings):  # noqa: F811
    iccids = list(estate.iccids())[:12]
    status, out = manage("sim", "adopt", *iccids, "--wait")
    adoption = Adoption.objects.get()
    assert status == 0, out
    assert out.startswith(f"Adoption {adoption.pk}: 12 ICCIDs to ask aql about.\n")
    states = Counter(estate.sim(i).state for i in iccids)
    assert f"aql said: {states['active']} active" in out and "We did: 12 added." in out
    assert Sim.objects.filter(iccid__in=iccids).count() == 12
    assert queried(aql_settings.fake) == Counter(iccids)


def test_sim_adopt_without_wait_leaves_the_asking_to_the_worker(estate, aql_settings):  # noqa: F811
    status, out = manage("sim", "adopt", next(estate.iccids()))
    assert status == 0 and "The worker asks aql about each in turn" in out
    assert aql_settings.fake.calls == []


@pytest.mark.parametrize("text", [
    "{0}\n{1}\n\n{2}\n",  # one a line (blank lines left alone)
    "Name,ICCID\nfirst,{0}\nsecond,{1}\nthird,{2}\n",  # a CSV with an iccid column, among others
    "iccid\n{0}\n{1}\n{2}\n",
])
def test_sim_adopt_reads_a_file_of_iccids(estate, tmp_path, text):  # noqa: F811
    iccids = list(estate.iccids())[:3]
    path = tmp_path / "estate.csv"
    path.write_text(text.format(*iccids))
    status, out = manage("sim", "adopt", "--file", str(path), "--wait")
    assert status == 0, out
    assert Adoption.objects.get().source == "file estate.csv"
    assert set(Sim.objects.values_list("iccid", flat=True)) == set(iccids)


def test_sim_adopt_reports_each_iccid_aql_does_not_have_and_exits_1(estate):  # noqa: F811
    inside, beyond = list(Estate(count=61, seed=11).iccids())[59:]
    status, out = manage("sim", "adopt", inside, beyond, "--wait")
    assert status == 1
    assert f"  {beyond}: Not added: This SIM is not on our account at aql. (aql code 63003)." in out
    assert "1 not on our account" in out
    assert not Sim.objects.filter(iccid=beyond).exists() and Sim.objects.filter(iccid=inside).exists()


def test_sim_adopt_with_a_bad_iccid_does_nothing_and_says_why(estate, tmp_path):  # noqa: F811
    status, out = manage("sim", "adopt", next(estate.iccids()), "1234")
    assert status == 1 and "Not an ICCID: 1234. An ICCID is the 19 or 20 digits" in out
    path = tmp_path / "list.csv"
    path.write_text("name\nAda\n")
    status, out = manage("sim", "adopt", "--file", str(path))
    assert status == 1 and "list.csv has no iccid column" in out
    assert manage("sim", "adopt")[0] == 1
    assert not Adoption.objects.exists()


@pytest.mark.parametrize("role", ["Customer service", "Observer"])
def test_only_a_supervisor_may_adopt(estate, role):  # noqa: F811
    member_of(role, "someone")
    status, out = manage("sim", "--user", "someone", "adopt", next(estate.iccids()))
    assert status == 1 and "someone may not" in out
    assert not Adoption.objects.exists()
    member_of("Supervisor", "boss")
    assert manage("sim", "--user", "boss", "adopt", next(estate.iccids()))[0] == 0
