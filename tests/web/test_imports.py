"""CSV files from the staff site: upload, a preview of every row, then done only when confirmed;
errors by the field; an upload seen by its uploader alone."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sims import tasks
from sims.lifecycle import Command, RequestState
from sims.models import Batch, GatewayRequest, Sim, Upload
from tests.conftest import IMEI, POOL, iccid, member_of

pytestmark = pytest.mark.django_db

ACTIVATIONS = ("ICCID,IMEI,Geo_Nos,Customer,Address,Post code,Telephone\n"
               f"{iccid(0)},{IMEI},{POOL[10]},Ada Lovelace,\"11-15 Hunslet Road, Leeds\",ls10 1jq,0113 320 3040\n"
               f"{iccid(1)},{IMEI},next free,Grace Hopper,1 Park Row,LS1 5AB,07700 900123\n"
               f"{iccid(2)},123,,R2D2,1 Park Row,LS1 5AB,07700 900123\n")


def upload(client, text: str, kind: str, name: str = "file.csv"):
    return client.post("/sims/import/", {"kind": kind, "file": SimpleUploadedFile(name, text.encode())})


def test_activations_are_previewed_row_by_row_then_queued_as_a_batch_when_confirmed(agent, world):
    response = upload(agent, ACTIVATIONS, "activate", "march.csv")
    preview_url = response.url
    page = agent.get(preview_url).text
    assert "Activate SIMs: march.csv" in page and "3 rows read. Nothing has been done yet." in page
    assert "That IMEI is not valid" in page and "Enter the subscriber&#x27;s name in letters" in page
    assert "Activate 2 SIMs" in page
    assert not GatewayRequest.objects.filter(command=Command.ACTIVATE).exists()

    done = agent.post(preview_url, {"action": "confirm"}, follow=True)
    batch = Batch.objects.get()
    assert done.redirect_chain[-1][0] == f"/batches/{batch.pk}/"
    assert "The file&#x27;s 2 ready rows are being queued" in done.text
    assert "Queueing the rows of march.csv</strong>: 0 so far of the 3 rows" in done.text
    assert 'hx-trigger="every 5s"' in done.text  # the card redraws itself until all are queued and settled
    assert agent.get(preview_url).url == f"/batches/{batch.pk}/"  # confirmed: the preview is its batch now
    tasks.poll_pass()  # the worker queues the rows, then sends them
    batch.refresh_from_db()
    assert batch.size == 2 and set(batch.requests.values_list("state", flat=True)) == {RequestState.PENDING}
    page = agent.get(f"/batches/{batch.pk}/").text
    assert "From march.csv: 3 rows, 1 of them left out" in page


def test_an_activation_batch_retries_its_failed_rows_through_a_new_preview(agent, world):
    upload(agent, ACTIVATIONS, "activate", "march.csv")
    agent.post(f"/sims/import/{Upload.objects.get().pk}/", {"action": "confirm"})
    batch = Batch.objects.get()
    world.fake.force("activate", [63033], times=2)  # the network refuses both at once: another time it may not
    tasks.poll_pass()
    page = agent.get(f"/batches/{batch.pk}/").text
    assert "Try again the 2 that could go through now" in page
    again = agent.post(f"/batches/{batch.pk}/retry/", follow=True)
    retry = Upload.objects.get(batch__isnull=True)
    assert again.redirect_chain[-1][0] == f"/sims/import/{retry.pk}/"
    assert "checked again: confirm to queue them" in again.text and "Activate 2 SIMs" in again.text


def test_stock_from_a_pasted_list_is_previewed_then_added(agent, world):
    response = agent.post("/sims/import/", {"kind": "stock", "pasted": f"8944000000000000000 2\n{iccid(1)}\n12"})
    page = agent.get(response.url).text
    assert "Will be added</dt><dd>1" in page and "Already here" in page and "An ICCID is the 19 or 20 digits" in page
    done = agent.post(response.url, {"action": "confirm"}, follow=True)
    assert "1 SIMs added." in done.text and Sim.objects.filter(iccid="89440000000000000002").exists()


def test_cancelling_a_preview_does_nothing_and_forgets_the_file(agent, world):
    response = upload(agent, ACTIVATIONS, "activate")
    done = agent.post(response.url, {"action": "cancel"}, follow=True)
    assert "nothing was done, and the file is forgotten" in done.text
    assert not Upload.objects.exists() and not GatewayRequest.objects.filter(command=Command.ACTIVATE).exists()


@pytest.mark.parametrize("form, field, error", [
    ({"kind": "stock"}, "file", "Choose a CSV file."),
    ({"kind": "activate", "pasted": iccid(1)}, "pasted", "A pasted list can only add SIMs to stock"),
    ({"kind": "stock", "file": SimpleUploadedFile("x.csv", b"name\nAda\n")}, "file",
     "The file has no column for ICCID"),
    ({"kind": "stock", "file": SimpleUploadedFile("x.csv", b"iccid\n\x81\x8d\n")}, "file", "not text"),
    ({"kind": "stock", "pasted": "12345"}, "pasted", None),  # a bad ICCID is a row of the preview, not an error
])
def test_a_file_that_cannot_be_read_is_said_so_by_its_field_and_nothing_is_kept(agent, world, form, field, error):
    response = agent.post("/sims/import/", form)
    if error is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert error in str(response.context["form"].errors[field])
    assert not Upload.objects.exists()


def test_an_upload_is_its_uploaders_alone_and_activations_need_the_right_to_activate(client, world, staff):
    client.force_login(staff)
    url = upload(client, ACTIVATIONS, "activate").url
    other = member_of("Customer service", "cs")
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "confirm"}).status_code == 404
    form = client.get("/sims/import/").context["form"]
    assert [k for k, _ in form.fields["kind"].choices] == ["activate"]  # customer service adds no stock
    assert client.post("/sims/import/", {"kind": "stock", "pasted": iccid(1)}).status_code == 200  # not a choice
    client.force_login(member_of("Observer", "obs"))
    assert client.get("/sims/import/").status_code == 403
