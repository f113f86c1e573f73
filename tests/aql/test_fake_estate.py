"""The simulator started with an estate: SIMs already active, suspended and terminated at aql,
each with its number and services, before our project first asks. Over raw HTTP, as aql is asked."""

import os
import select
import subprocess
import sys
import time
from collections import Counter

import pytest

from aql.fake import Account, Estate, FakeAql, Faults
from aql.fake.estate import ESTATE_FIRST
from tests.aql.test_fake import ROOT, control, free_port, reply, usim
from tests.conftest import PASSWORD, USERNAME, Simulator


@pytest.fixture
def estate_sim(serve) -> Simulator:
    fake = FakeAql(Account(username=USERNAME, password=PASSWORD, estate=Estate(count=200, seed=7)), Faults(seed=1))
    return Simulator(fake, serve(fake))


def test_an_estate_sim_answers_a_query_as_the_estate_holds_it_before_anyone_asked(estate_sim):
    estate = estate_sim.fake.account.estate
    for iccid in list(estate.iccids())[:40]:
        held, said = estate.sim(iccid), reply(usim(estate_sim, command="queryiccid", iccid=iccid))
        assert said["iccidstate"] == held.state
        if held.state in ("active", "suspended"):
            assert said["geo_nos"] == held.geo_nos
            assert said["int_roaming"] == str(int("int_roaming" in held.services))
            assert said["int_call"] == str(int("int_calling" in held.services))
            assert said["premium"] == str(int(held.premium))
        else:
            assert "geo_nos" not in said


def test_an_estate_has_each_state_a_number_for_each_live_sim_and_none_twice():
    estate = Estate(count=5000, seed=3)
    sims = [estate.sim(iccid) for iccid in estate.iccids()]
    states = Counter(sim.state for sim in sims)
    assert set(states) == {"active", "suspended", "terminated", "unused"}
    assert 0.55 < states["active"] / 5000 < 0.65 and 0.12 < states["suspended"] / 5000 < 0.18
    live = [sim for sim in sims if sim.state in ("active", "suspended")]
    assert all(sim.geo_nos for sim in live) and len({sim.geo_nos for sim in live}) == len(live)
    assert all(sim.geo_nos is None and not sim.services for sim in sims if sim.state in ("terminated", "unused"))
    assert any("mo_voice" in sim.services for sim in live) and any(not sim.services for sim in live)
    assert any("int_roaming" in sim.services for sim in live) and any(sim.premium for sim in live)


def test_the_same_seed_gives_the_same_estate_and_another_seed_another():
    first, again, other = Estate(count=300, seed=5), Estate(count=300, seed=5), Estate(count=300, seed=6)
    assert [first.sim(i) for i in first.iccids()] == [again.sim(i) for i in again.iccids()]
    assert [first.sim(i) for i in first.iccids()] != [other.sim(i) for i in other.iccids()]


def test_a_hundred_thousand_sims_cost_nothing_until_one_is_asked_about():
    started = time.monotonic()
    fake = FakeAql(Account(estate=Estate(count=100_000, seed=1)))
    assert time.monotonic() - started < 0.1
    assert fake.state()["sims"] == []  # nothing made yet
    iccid = list(fake.account.estate.iccids())[-1]
    assert iccid[:-1] == str(int(ESTATE_FIRST[:-1]) + 99_999)
    active = next(i for i in fake.account.estate.iccids() if fake.account.estate.sim(i).state == "active")
    assert fake.sim(active).state == "active"
    assert [sim["iccid"] for sim in fake.state()["sims"]] == [active]  # made as asked, one at a time


def test_an_iccid_beyond_the_estate_is_not_on_the_account(estate_sim):
    beyond = Estate(count=201, seed=7)
    outside = list(beyond.iccids())[-1]
    assert reply(usim(estate_sim, command="queryiccid", iccid=outside)) == {"status": "63003"}


def test_an_estate_sim_takes_commands_as_any_sim_of_the_account(estate_sim):
    estate = estate_sim.fake.account.estate
    iccid = next(i for i in estate.iccids() if estate.sim(i).state == "active")
    number = estate.sim(iccid).geo_nos
    assert reply(usim(estate_sim, command="suspend", iccid=iccid, geo_nos=number))["status"] == "200"
    estate_sim.fake.advance(estate_sim.fake.faults.settle_after)
    assert estate_sim.fake.sim(iccid).state == "suspended"
    # its number is the account's, but never handed to another SIM
    other = next(i for i in estate.iccids() if estate.sim(i).state == "active" and i != iccid)
    estate_sim.fake.sim(other)
    assert reply(usim(estate_sim, command="changegeo", iccid=other, geo_nos=estate.sim(other).geo_nos,
                      new_geo_nos=number)) == {"status": "63201"}


def test_the_control_endpoint_gives_a_running_simulator_its_estate(aqlsim):
    described = control(aqlsim, "estate", {"count": 50, "seed": 2, "active": 1, "suspended": 0, "terminated": 0})
    assert described.status_code == 200, described.text
    assert described.json() == {"count": 50, "seed": 2, "first": ESTATE_FIRST, "active": 1.0, "suspended": 0.0,
                                "terminated": 0.0}
    first = next(aqlsim.fake.account.estate.iccids())
    assert reply(usim(aqlsim, command="queryiccid", iccid=first))["iccidstate"] == "active"
    assert control(aqlsim, "state").json()["estate"]["count"] == 50
    assert control(aqlsim, "estate", {"count": 5, "colour": "red"}).status_code == 400
    assert control(aqlsim, "estate", {"count": 5, "active": 0.9, "suspended": 0.9}).status_code == 400
    assert control(aqlsim, "estate", {"count": 5, "first": "1234"}).status_code == 400


def test_aqlsim_command_starts_with_an_estate():
    port = free_port()
    env = {**os.environ, "AQL_USERNAME": USERNAME, "AQL_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "aqlsim", "--port", str(port), "--estate", "1000", "--estate-seed", "4"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "aqlsim printed nothing in 30 s"
        banner = proc.stdout.readline()
        sim = Simulator(FakeAql(), f"http://127.0.0.1:{port}")
        last = list(Estate(count=1000, seed=4).iccids())[-1]
        said = reply(usim(sim, command="queryiccid", iccid=last))
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert "estate of 1,000 SIMs" in banner
    assert said["iccidstate"] == Estate(count=1000, seed=4).sim(last).state
