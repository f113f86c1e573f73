"""Adopting SIMs already in use at aql from the staff site: ICCIDs uploaded or pasted, previewed row by
row (nothing done until confirmed), then followed on the adoption's page, counted by what aql said;
every row's outcome as a CSV; a Supervisor's to do."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from aql.fake import Estate
from sims import services, tasks
from sims.models import Adoption, AdoptionRow, Sim, Upload
from tests.conftest import many_sims, member_of
from tests.sims.test_adopt import estate, queried  # noqa: F401  (the fixture, and the wire's count)

pytestmark = pytest.mark.django_db
Said, Did, State = AdoptionRow.Said, AdoptionRow.Did, AdoptionRow.State


@pytest.fixture
def agent(client, staff):
    client.force_login(staff)
    return client


def previewed(agent, **posted) -> tuple[Upload, str]:
    response = agent.post("/sims/adopt/", {"kind": "adopt", **posted})
    assert response.status_code == 302, response.content.decode()
    upload = Upload.objects.get()
    page = agent.get(response.url)
    assert page.status_code == 200
    return upload, page.content.decode()


def test_pasted_iccids_are_previewed_row_by_row_and_nothing_is_done_until_confirmed(agent, estate, aql_settings):  # noqa: F811
    iccids = list(estate.iccids())[:3]
    Sim.objects.create(iccid=iccids[2])  # ours already: compared, not overwritten
    upload, page = previewed(agent, pasted="\n".join([*iccids, "8944120000100000006", iccids[0]]))

    assert upload.kind == Upload.ADOPT
    assert "An ICCID&#x27;s last digit is a check on the others" in page  # the bad row, in words beside it
    assert "This ICCID is on row 2 of the file too." in page  # the repeat
    assert upload.preview["counts"] == {"new": 2, "ours": 1, "invalid": 2}
    assert "Adopt 3 SIMs" in page
    assert not Adoption.objects.exists() and aql_settings.fake.calls == []

    response = agent.post(f"/sims/import/{upload.pk}/", {"action": "confirm"})
    adoption = Adoption.objects.get()
    assert response.url == f"/adoptions/{adoption.pk}/"
    assert (adoption.size, adoption.source) == (3, "a pasted list")
    assert not Upload.objects.exists()  # read, then forgotten
    tasks.adopt_pass()
    assert queried(aql_settings.fake).keys() == set(iccids)


def test_a_file_with_an_iccid_column_is_adopted_its_bad_rows_left_out(agent, estate):  # noqa: F811
    iccids = list(estate.iccids())[:2]
    text = f"Customer,ICCID\nAda,{iccids[0]}\nBob,12345\nCy,{iccids[1]}\n"
    upload, page = previewed(agent, file=SimpleUploadedFile("estate.csv", text.encode()))
    assert "An ICCID is the 19 or 20 digits printed on the SIM card." in page
    assert "Columns not used: Customer." in page
    agent.post(f"/sims/import/{upload.pk}/", {"action": "confirm"})
    adoption = Adoption.objects.get()
    assert adoption.source == "file estate.csv"
    assert list(adoption.rows.values_list("iccid", flat=True)) == iccids


def test_a_cancelled_preview_does_nothing_and_goes_back_to_the_adopt_page(agent, estate):  # noqa: F811
    upload, _ = previewed(agent, pasted=next(estate.iccids()))
    response = agent.post(f"/sims/import/{upload.pk}/", {"action": "cancel"})
    assert response.url == "/sims/adopt/"
    assert not Upload.objects.exists() and not Adoption.objects.exists()


def test_a_paste_and_a_file_at_once_or_neither_are_refused_by_the_field(agent, estate):  # noqa: F811
    page = agent.post("/sims/adopt/", {"kind": "adopt"}).content.decode()
    assert "Choose a CSV file." in page
    page = agent.post("/sims/adopt/", {"kind": "adopt", "pasted": next(estate.iccids()),
                                       "file": SimpleUploadedFile("a.csv", b"iccid\n")}).content.decode()
    assert "Upload a file or paste a list, not both." in page
    assert not Upload.objects.exists()


def test_the_adoption_page_redraws_while_aql_is_asked_then_counts_what_aql_said(agent, estate, aql_settings):  # noqa: F811
    iccids = [*list(estate.iccids())[:20], list(Estate(count=61, seed=11).iccids())[60]]  # the last not ours
    upload, _ = previewed(agent, pasted="\n".join(iccids))
    agent.post(f"/sims/import/{upload.pk}/", {"action": "confirm"})
    adoption = Adoption.objects.get()
    waiting = agent.get(f"/adoptions/{adoption.pk}/").content.decode()
    assert 'hx-trigger="every 5s"' in waiting and "0 of 21 answered" in waiting

    tasks.adopt_pass()
    done = agent.get(f"/adoptions/{adoption.pk}/").content.decode()
    assert 'hx-trigger="every 5s"' not in done and "21 of 21 answered: finished" in done
    said = dict(adoption.rows.values_list("said").annotate(n=Count("pk")))
    for words, value in (("Active", Said.ACTIVE), ("Suspended", Said.SUSPENDED), ("Terminated", Said.TERMINATED),
                         ("Unused", Said.UNUSED), ("Not on our account", Said.NOT_ON_ACCOUNT)):
        assert f"<dt>{words}</dt><dd>{said.get(value, 0)}</dd>" in done
    assert said[Said.NOT_ON_ACCOUNT] == 1
    narrowed = agent.get(f"/adoptions/{adoption.pk}/?said=not_on_account").content.decode()
    assert "Not added: This SIM is not on our account at aql. (aql code 63003)." in narrowed
    assert narrowed.count("<tr><td>") == 1


def test_the_outcomes_csv_has_a_row_for_every_iccid_in_words(agent, estate, staff):  # noqa: F811
    adoption = services.adoption_start(iccids=list(estate.iccids())[:5], actor=staff, source="a test")
    tasks.adopt_pass()
    response = agent.get(f"/adoptions/{adoption.pk}/outcomes.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["iccid"] for row in rows] == list(estate.iccids())[:5]
    assert all(row["we_did"] == "Added" and row["outcome"].startswith("Added as aql has it: ") for row in rows)
    assert {row["aql_said"] for row in rows} <= {"Active", "Suspended", "Terminated", "Unused"}


def test_ask_again_is_offered_for_answers_not_known_and_asks_them_again(agent, estate, aql_settings, staff):  # noqa: F811
    aql_settings.fake.faults.malformed_rate = 1.0
    adoption = services.adoption_start(iccids=list(estate.iccids())[:2], actor=staff, source="a test")
    tasks.adopt_pass()
    page = agent.get(f"/adoptions/{adoption.pk}/").content.decode()
    assert "Ask aql again about the 2 not known" in page
    aql_settings.fake.faults.malformed_rate = 0.0
    response = agent.post(f"/adoptions/{adoption.pk}/ask-again/", follow=True)
    assert "2 ICCIDs whose answer was not known are to be asked again." in response.content.decode()
    tasks.adopt_pass()
    assert set(adoption.rows.values_list("did", flat=True)) == {Did.ADDED}


@pytest.mark.parametrize("role", ["Customer service", "Observer"])
def test_customer_service_and_observers_cannot_adopt(client, estate, staff, role):  # noqa: F811
    adoption = services.adoption_start(iccids=[next(estate.iccids())], actor=staff, source="a test")
    client.force_login(member_of(role, "someone"))
    assert client.get("/sims/adopt/").status_code == 403
    assert client.post("/sims/adopt/", {"kind": "adopt", "pasted": next(estate.iccids())}).status_code == 403
    assert client.post(f"/adoptions/{adoption.pk}/ask-again/").status_code == 403
    assert not Upload.objects.exists()
    page = client.get("/sims/").content.decode()
    assert "/sims/adopt/" not in page
    assert "Ask aql again" not in client.get(f"/adoptions/{adoption.pk}/").content.decode()  # may look, not act


def test_the_sim_list_and_the_import_page_lead_a_supervisor_to_adopting(agent):
    assert 'href="/sims/adopt/"' in agent.get("/sims/").content.decode()
    assert 'href="/sims/adopt/"' in agent.get("/sims/import/").content.decode()
    assert "Adopt SIMs already in use at aql" not in agent.get("/sims/import/").content.decode().split("<form")[1]


def adoption_of(count: int, staff) -> Adoption:
    """An adoption of `count` SIMs, answered (test data, made in bulk)."""
    sims = many_sims(count, start=300_000 + Sim.objects.count())
    adoption = Adoption.objects.create(actor=staff, actor_name=staff.username, source="a test", size=count,
                                       queueing=False)
    AdoptionRow.objects.bulk_create(AdoptionRow(adoption=adoption, iccid=sim.iccid, sim=sim, state=State.DONE,
                                                said=Said.ACTIVE, did=Did.ADDED, outcome="Added.") for sim in sims)
    return adoption


def test_the_adoption_pages_run_the_same_queries_for_10_rows_and_1000(agent, staff, db, django_assert_num_queries):
    for count in (10, 1000):
        adoption = adoption_of(count, staff)
        for url, queries in ((f"/adoptions/{adoption.pk}/", 7), (f"/adoptions/{adoption.pk}/?said=active", 7),
                             ("/sims/adopt/", 5)):
            with django_assert_num_queries(queries):
                assert agent.get(url).status_code == 200
