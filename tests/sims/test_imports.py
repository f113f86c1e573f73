"""CSV files of SIMs (sims.services.imports): every kind of bad row in the preview, nothing written
before the agent confirms, stock added in one go, activations queued as a batch the worker sends
to the simulator, a row at a time, each journalled before it is sent."""

import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from common.errors import Refused
from common.models import OutboxEvent
from common.validators import phone_national
from sims import services, tasks
from sims.lifecycle import Command, RequestState, SimState
from sims.models import Batch, GatewayRequest, GeographicNumber, Sim, Subscriber, Upload
from sims.services import imports
from sims.services.imports import csvfile, workflow
from tests.conftest import IMEI, POOL, iccid

pytestmark = pytest.mark.django_db

HEADER = "iccid,imei,number,name,address,postcode,contact\n"


def source(text: str, encoding: str = "utf-8"):
    data = text.encode(encoding)
    return lambda: io.BytesIO(data)


def row(n: int, number: str = "", **changes: str) -> str:
    cells = {"iccid": iccid(n), "imei": IMEI, "number": number, "name": "Ada Lovelace",
             "address": "11-15 Hunslet Road, Leeds", "postcode": "LS10 1JQ", "contact": "0113 320 3040"} | changes
    return ",".join(f'"{v}"' for v in cells.values()) + "\n"


def activations(text: str, staff, name: str = "file.csv") -> Batch:
    """A file of activations uploaded, confirmed, and queued by the worker's steps."""
    upload = imports.upload_preview(file=SimpleUploadedFile(name, text.encode()), kind=imports.ACTIVATE, actor=staff)
    return activations_confirmed(upload, staff)


def activations_confirmed(upload: Upload, staff) -> Batch:
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    while imports.activations_queue(upload_id=upload.pk):
        pass
    batch.refresh_from_db()
    return batch


def chunks_of(monkeypatch, size: int) -> None:
    """Rows read `size` at a time (and the pool's free numbers paged so), as CHUNK would have them."""
    for module in (csvfile, workflow):
        monkeypatch.setattr(module, "CHUNK", size)


def problems(preview: imports.Preview) -> dict[int, dict[str, str]]:
    return {r.line: r.errors for r in preview.problems}


# --- stock in ----------------------------------------------------------------------------------

def test_a_stock_preview_says_of_each_row_new_here_or_what_is_wrong_and_writes_nothing(world):
    text = ("ICCID;Product Code;Batch;Notes\n"  # semicolons, other case, a column nobody uses
            "8944 0000 0000 0000 0002;AQL-123;B7;first\n"
            f"{iccid(1)};AQL-123;B7;here already\n"
            "12345;AQL-123;B7;too short\n"
            "89440000000000000002;AQL-123;B7;twice\n"
            "89440000000000000010;bad*code;B7;\n"
            "\n")
    before = Sim.objects.count()
    preview = imports.preview(source(text), imports.STOCK)

    assert preview.counts == {"new": 1, "here": 1, "invalid": 3} and preview.total == 5
    assert preview.columns == ["iccid", "product_code", "lot"] and preview.ignored == ["Notes"]
    assert problems(preview) == {
        3: {},
        4: {"iccid": "An ICCID is the 19 or 20 digits printed on the SIM card."},
        5: {"iccid": "This ICCID is on row 2 of the file too."},
        6: {"product_code": "A product code is letters, digits, spaces and . _ / - only, up to 30 characters."}}
    assert [r.line for r in preview.sample] == [2]
    assert Sim.objects.count() == before


def test_confirmed_stock_adds_the_new_sims_with_their_product_code_and_batch(world, staff):
    text = "iccid,product,lot\n89440000000000000002,AQL-123,B7\n89440000000000000010,,\n" + f"{iccid(1)},X,Y\n"
    assert imports.stock_add(source=source(text), actor=staff) == 2
    added = Sim.objects.get(iccid="89440000000000000002")
    assert (added.state, added.product_code, added.lot, added.iccid_reversed) == (
        SimState.UNUSED, "AQL-123", "B7", "20000000000000004498")
    assert Sim.objects.get(iccid="89440000000000000010").product_code is None
    assert Sim.objects.get(iccid=iccid(1)).product_code is None  # one we had is left as it is


@pytest.mark.parametrize("text, words", [
    ("", "The file is empty"),
    ("product,lot\nA,B\n", "The file has no column for ICCID"),
    ("iccid,sim\n1,2\n", "Two columns mean ICCID"),
    ("iccid\n", "The file has no rows under its first line"),
])
def test_a_file_that_cannot_be_read_as_asked_is_refused_with_why(world, text, words):
    with pytest.raises(Refused) as refused:
        imports.preview(source(text), imports.STOCK)
    assert words in refused.value.message and refused.value.field == "file"


def test_utf8_with_or_without_its_mark_and_excels_plain_csv_are_read_and_what_is_not_text_is_refused(world):
    preview = imports.preview(source("\ufeffICCID\r\n89440000000000000002\r\n"), imports.STOCK)
    assert preview.counts == {"new": 1}
    text = (f"iccid,imei,number,name,address,postcode,contact\n"
            f"{iccid(0)},{IMEI},,Zo\u00eb Br\u00f6nte,1 Caf\u00e9 Row,LS1 5AB,07700 900123\n")
    for encoding in ("utf-8", "cp1252"):  # Excel's "CSV UTF-8", and its plain "CSV" in the UK
        preview = imports.preview(source(text, encoding), imports.ACTIVATE)
        assert preview.sample[0].values["name"] == "Zo\u00eb Br\u00f6nte" and preview.counts == {"ready": 1}
    with pytest.raises(Refused, match="not text"):
        imports.preview(lambda: io.BytesIO(b"iccid\n\x81\x8d\x8f\n"), imports.STOCK)


def test_a_row_with_more_values_than_columns_is_left_out_not_read_into_the_wrong_columns(world):
    text = HEADER + row(0) + row(1).rstrip("\n") + ',"Flat 1"\n'
    preview = imports.preview(source(text), imports.ACTIVATE)
    assert preview.counts == {"ready": 1, "invalid": 1}
    assert problems(preview)[3] == {"row": "This row has 8 values where the first line names 7 columns: put quotes "
                                           "around a value with a comma in it."}


def test_a_file_of_too_many_rows_is_refused_before_it_is_read_to_the_end(world, monkeypatch):
    monkeypatch.setattr(csvfile, "ROWS_AT_MOST", 3)
    text = "iccid\n" + "".join(f"8944000000000000{n:04}\n" for n in range(5))
    with pytest.raises(Refused, match="more than 3 rows"):
        imports.preview(source(text), imports.STOCK)


# --- activations -------------------------------------------------------------------------------

def test_an_activation_preview_shows_every_bad_cell_in_the_forms_words(world, make_sim, staff):
    make_sim(2, number=POOL[2])  # active
    busy = Sim.objects.get(iccid=iccid(3))
    services.batch_start(sim_ids=[busy.pk], command=Command.QUERYICCID, actor=staff)  # a query does not block
    text = HEADER + "".join([
        row(0, POOL[10]),
        row(1, phone_national(POOL[11])),  # written the usual way
        row(2),  # active
        row(4, POOL[10]),  # a number named twice
        row(5, "0113 999 9999"),  # not ours
        row(6, POOL[2]),  # on a SIM
        row(7, imei="123", name="R2D2", address="", postcode="nowhere", contact="x"),
        row(0),  # a SIM named twice
        row(99),  # not on our account
        row(8, "next free"),
        row(3),
    ])
    preview = imports.preview(source(text), imports.ACTIVATE)

    assert preview.counts == {"ready": 4, "invalid": 7}
    assert problems(preview) == {
        4: {"iccid": "Activate needs a SIM that is unused; this one is active."},
        5: {"number": "This number is on row 2 of the file too."},
        6: {"number": "Not in our pool: add it under Numbers first."},
        7: {"number": "Already in use by another SIM."},
        8: {"imei": "That IMEI is not valid: it should be the 15 digits shown by dialling *#06#.",
            "name": "Enter the subscriber's name in letters (up to 100).",
            "address": "Enter the subscriber's address (up to 200 characters).",
            "postcode": "Enter a UK postcode, like LS10 1JQ.",
            "contact_number": "Enter a UK phone number, like 0113 320 3040 or 441133203040."},
        9: {"iccid": "This ICCID is on row 2 of the file too."},
        10: {"iccid": "No SIM with this ICCID on our account: add it to stock first."},
    }
    assert not GatewayRequest.objects.filter(command=Command.ACTIVATE).exists()


def test_rows_for_the_next_free_number_beyond_the_pool_are_shown_as_problems(world, settings):
    GeographicNumber.objects.exclude(number__in=POOL[:2]).delete()  # two free numbers left
    text = HEADER + row(0) + row(1, "next free") + row(2) + row(3)
    preview = imports.preview(source(text), imports.ACTIVATE)
    assert preview.counts == {"ready": 2, "invalid": 2}
    assert problems(preview)[4] == {"number": "No free number left in the pool for this row: add numbers first."}


def test_an_activation_file_becomes_a_batch_the_worker_sends_a_row_at_a_time(world, staff):
    text = HEADER + row(0, POOL[10]) + row(1) + row(2, "bad")
    sent_before = world.fake.count("activate")
    batch = activations(text, staff, name="march.csv")

    assert (batch.command, batch.size, batch.params) == (
        Command.ACTIVATE, 2, {"file": "march.csv", "rows": 3, "left_out": 1, "queueing": False})
    assert world.fake.count("activate") == sent_before  # nothing sent: the worker sends them
    first, second = (GatewayRequest.objects.get(batch=batch, sim__iccid=iccid(n)) for n in (0, 1))
    assert first.state == RequestState.TO_SEND and first.params == {"imei": IMEI, "geo_nos": POOL[10]}
    assert second.params["geo_nos"] == POOL[0]  # the next free one, not one the file names
    assert GeographicNumber.objects.get(number=POOL[10]).held_by == first
    sim = Sim.objects.select_related("subscriber").get(iccid=iccid(0))
    assert (sim.state, sim.subscriber.name, sim.subscriber.postcode) == (SimState.UNUSED, "Ada Lovelace", "LS10 1JQ")
    assert "Ada" not in str(first.params)  # the journal holds no personal details

    tasks.poll_pass()
    assert world.fake.count("activate") == sent_before + 2
    sim.refresh_from_db()
    assert (sim.state, sim.imei) == (SimState.PENDING, IMEI)
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(batch=batch, state=RequestState.PENDING).update(next_poll_at=timezone.now())
    tasks.poll_pass()
    sim.refresh_from_db()
    assert (sim.state, sim.number.number) == (SimState.ACTIVE, POOL[10])
    first.refresh_from_db()
    assert world.fake.request(first.aql_id).params["subname"] == "Ada Lovelace"


def test_a_row_whose_sim_moved_on_before_it_was_sent_is_not_done_and_gives_back_its_number(world, staff, make_sim):
    batch = activations(HEADER + row(0, POOL[10]), staff)
    request = batch.requests.get()
    Sim.objects.filter(pk=request.sim_id).update(state=SimState.TERMINATED)  # aql's record, found meanwhile
    tasks.poll_pass()
    request.refresh_from_db()
    assert request.state == RequestState.NOT_SENT
    assert request.why_not_sent == "This SIM is terminated: nothing more can be done with it."
    assert GeographicNumber.objects.get(number=POOL[10]).held_by is None
    sim = Sim.objects.get(pk=request.sim_id)
    assert sim.subscriber is None and not Subscriber.objects.exists()
    assert sim.state == SimState.TERMINATED  # as aql's record left it: nothing was done to it


def test_cancelling_an_activation_batch_gives_back_each_number_and_forgets_each_subscriber(world, staff):
    batch = activations(HEADER + row(0) + row(1), staff)
    assert services.batch_cancel(batch_id=batch.pk, actor=staff) == 2
    assert not GeographicNumber.objects.filter(held_by__isnull=False).exists()
    assert not Subscriber.objects.exists()
    assert set(batch.requests.values_list("state", flat=True)) == {RequestState.NOT_SENT}
    with pytest.raises(Refused, match="from their file"):
        services.batch_retry(batch_id=batch.pk, actor=staff)


def test_a_number_taken_between_the_check_and_the_queue_is_recorded_as_not_done(world, staff):
    text = HEADER + row(0, POOL[10])
    with imports.reading(source(text), imports.ACTIVATE) as (_, _, rows):
        checked = csvfile.Checker(imports.ACTIVATE).check(list(rows))
    assert [r.kind for r in checked] == ["ready"]
    taken = Sim.objects.get(iccid=iccid(5))  # meanwhile, another agent gave it to another SIM
    taken.number = GeographicNumber.objects.get(number=POOL[10])
    taken.save()
    workflow._queue_activations(Batch.objects.create(command=Command.ACTIVATE), checked, {POOL[10]}, staff)
    request = GatewayRequest.objects.get(command=Command.ACTIVATE)
    assert (request.state, request.why_not_sent) == (RequestState.NOT_SENT,
                                                     "That number is already in use by another SIM.")
    assert not Subscriber.objects.exists()


# --- the upload between preview and confirmation -----------------------------------------------

def test_an_upload_is_kept_for_its_preview_then_done_and_deleted_with_its_file(world, staff):
    upload = services.upload_preview(file=SimpleUploadedFile("in.csv", b"iccid\n89440000000000000002\n"),
                                     kind=Upload.STOCK, actor=staff)
    assert upload.preview["counts"] == {"new": 1} and upload.name == "in.csv"
    path = upload.file.path
    assert not path.endswith("in.csv") and Sim.objects.filter(iccid="89440000000000000002").count() == 0
    assert services.upload_confirm(upload_id=upload.pk, actor=staff) == 1
    assert not Upload.objects.exists()
    assert not os.path.exists(path)


def test_an_upload_is_done_once_and_cannot_be_cancelled_while_it_is_done(world, staff):
    upload = services.upload_preview(file=SimpleUploadedFile("in.csv", b"iccid\n89440000000000000002\n"),
                                     kind=Upload.STOCK, actor=staff)
    Upload.objects.filter(pk=upload.pk).update(confirming=True)  # another press is doing it
    with pytest.raises(Refused, match="being done already"):
        services.upload_confirm(upload_id=upload.pk, actor=staff)
    with pytest.raises(Refused, match="can no longer be cancelled"):
        services.upload_discard(upload_id=upload.pk)
    assert not Sim.objects.filter(iccid="89440000000000000002").exists()


def test_a_file_too_big_is_refused_before_it_is_kept(world, staff, monkeypatch):
    monkeypatch.setattr(workflow, "UPLOAD_BYTES_AT_MOST", 10)
    with pytest.raises(Refused, match="at most 0 MB"):
        services.upload_preview(file=SimpleUploadedFile("in.csv", b"iccid\n89440000000000000002\n"),
                                kind=Upload.STOCK, actor=staff)
    assert not Upload.objects.exists()


def test_a_file_refused_at_its_preview_is_not_kept(world, staff, settings):
    with pytest.raises(Refused):
        services.upload_preview(file=SimpleUploadedFile("x.csv", b"name\nAda\n"), kind=Upload.STOCK, actor=staff)
    assert not Upload.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.csv"))


def test_uploads_left_for_a_day_are_deleted_by_the_worker_and_files_without_theirs(world, staff, settings):
    upload = services.upload_preview(file=SimpleUploadedFile("in.csv", b"iccid\n89440000000000000002\n"),
                                     kind=Upload.STOCK, actor=staff)
    Upload.objects.filter(pk=upload.pk).update(created_at=timezone.now() - imports.UPLOAD_KEPT * 2)
    orphan = Path(settings.MEDIA_ROOT) / imports.UPLOAD_DIR / "left-by-a-deleted-account.csv"
    orphan.write_text("iccid,name\n1,Ada\n")
    os.utime(orphan, (time.time() - 2 * 86400,) * 2)
    tasks.prune_checks_pass()
    assert not Upload.objects.exists() and not any(Path(settings.MEDIA_ROOT).rglob("*.csv"))


# --- a file of activations, queued by the worker; its failed rows again -------------------------

def test_a_confirmed_file_is_queued_by_the_worker_a_chunk_at_a_time_and_goes_on_where_it_stopped(
        world, staff, monkeypatch):
    chunks_of(monkeypatch, 2)
    text = HEADER + row(0) + row(1, "bad") + row(2) + row(0) + row(3)  # row 5 repeats row 2's ICCID
    upload = imports.upload_preview(file=SimpleUploadedFile("f.csv", text.encode()), kind=imports.ACTIVATE,
                                    actor=staff)
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    assert batch.size == 0 and batch.params["queueing"] and not batch.requests.exists()  # the web request's share

    assert imports.activations_queue(upload_id=upload.pk, budget=0)  # one chunk, then it is due again
    upload.refresh_from_db()
    assert upload.rows_done == 2 and upload.queue_at is not None
    assert list(batch.requests.values_list("sim__iccid", flat=True)) == [iccid(0)]
    # A new process goes on from there: the repeat of row 2 is still found, nothing is queued twice.
    while imports.activations_queue(upload_id=upload.pk, budget=0):
        pass
    batch.refresh_from_db()
    upload.refresh_from_db()
    assert sorted(batch.requests.values_list("sim__iccid", flat=True)) == [iccid(0), iccid(2), iccid(3)]
    assert (batch.size, batch.params["left_out"], batch.params["queueing"]) == (3, 2, False)
    assert (upload.rows_done, upload.queue_at) == (5, None)
    assert not imports.activations_queue(upload_id=upload.pk)  # done: a late step does nothing
    assert batch.requests.count() == 3


def test_a_file_half_queued_goes_on_after_an_upgrade_that_changed_the_chunk_size(world, staff, monkeypatch):
    chunks_of(monkeypatch, 2)
    upload = imports.upload_preview(file=SimpleUploadedFile("f.csv", "".join([HEADER, *map(row, range(5))]).encode()),
                                    kind=imports.ACTIVATE, actor=staff)
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    assert imports.activations_queue(upload_id=upload.pk, budget=0)  # rows 1-2 queued
    chunks_of(monkeypatch, 3)  # the next release's: its chunks no longer end at row 2
    while imports.activations_queue(upload_id=upload.pk, budget=0):
        pass
    batch.refresh_from_db()
    assert sorted(batch.requests.values_list("sim__iccid", flat=True)) == [iccid(n) for n in range(5)]
    assert batch.size == 5 and not batch.params["queueing"]


def test_the_worker_queues_a_confirmed_file_through_its_lane(world, staff):
    upload = imports.upload_preview(file=SimpleUploadedFile("f.csv", (HEADER + row(0)).encode()),
                                    kind=imports.ACTIVATE, actor=staff)
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    sent_before = world.fake.count("activate")
    tasks.poll_pass()  # queued, then sent, in one pass
    assert world.fake.count("activate") == sent_before + 1
    assert batch.requests.get().state == RequestState.PENDING


@pytest.fixture
def half_queued(world, staff, monkeypatch) -> tuple:
    """A file of two activations, confirmed, its first row queued and the second still in the file."""
    chunks_of(monkeypatch, 1)
    upload = imports.upload_preview(file=SimpleUploadedFile("f.csv", (HEADER + row(0) + row(1)).encode()),
                                    kind=imports.ACTIVATE, actor=staff)
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    assert imports.activations_queue(upload_id=upload.pk, budget=0)
    return upload, batch


def test_cancelling_a_batch_while_its_file_is_queued_stops_the_rest(half_queued, staff):
    upload, batch = half_queued
    assert services.batch_cancel(batch_id=batch.pk, actor=staff) == 1
    assert not imports.activations_queue(upload_id=upload.pk)
    batch.refresh_from_db()
    assert batch.requests.count() == 1 and not batch.params["queueing"]
    assert batch.params["stopped"].startswith("The rest of the file was cancelled by")
    assert not GeographicNumber.objects.filter(held_by__isnull=False).exists()


def test_cancelling_when_only_the_file_is_left_stops_it_and_finishes_the_batch(half_queued, staff):
    _upload, batch = half_queued
    batch.requests.update(state=RequestState.REJECTED)  # what was queued has settled
    assert services.batch_cancel(batch_id=batch.pk, actor=staff) == 0  # not refused: the file was stopped
    batch.refresh_from_db()
    assert not batch.params["queueing"] and batch.params["stopped"].startswith("The rest of the file")
    assert batch.params["finished_at"]  # and told so (batch.finished)
    assert OutboxEvent.objects.filter(kind="batch.finished", payload__batch_id=batch.pk).exists()


def test_a_file_the_worker_cannot_read_stops_its_queueing_in_words(world, staff):
    upload = imports.upload_preview(file=SimpleUploadedFile("f.csv", (HEADER + row(0)).encode()),
                                    kind=imports.ACTIVATE, actor=staff)
    batch = imports.upload_confirm(upload_id=upload.pk, actor=staff)
    os.remove(upload.file.path)  # a worker machine without the web's MEDIA_ROOT
    assert not imports.activations_queue(upload_id=upload.pk)
    batch.refresh_from_db()
    assert not batch.params["queueing"] and "must share MEDIA_ROOT" in batch.params["stopped"]


def test_failed_rows_of_a_file_come_back_as_a_new_file_to_preview_then_go_through(world, staff):
    names = ["Ada Lovelace", "Grace Hopper", "Alan Turing"]
    batch = activations(HEADER + "".join(row(i, name=n) for i, n in enumerate(names)), staff, name="march.csv")
    world.fake.force("activate", [63033], times=1)  # aql refuses whichever row reaches it first
    tasks.poll_pass()
    refused = batch.requests.get(state=RequestState.REJECTED)
    unknown = batch.requests.exclude(pk=refused.pk).first()
    GatewayRequest.objects.filter(pk=unknown.pk).update(state=RequestState.UNKNOWN)  # aql may be doing it
    assert refused.sim.subscriber is None  # the subscriber went with the refusal...

    again = services.activations_retry(batch_id=batch.pk, actor=staff)
    assert again.kind == Upload.ACTIVATE and again.name == f"Failed rows of batch {batch.pk} (march.csv)"
    # ...and comes back from the file: only the refused row, never the unknown one, checked again.
    assert again.preview["counts"] == {"ready": 1}
    name = names[[iccid(i) for i in range(3)].index(refused.sim.iccid)]
    assert [r["values"]["name"] for r in again.preview["sample"]] == [name]
    retried = activations_confirmed(again, staff)
    sent_before = world.fake.count("activate")
    tasks.poll_pass()
    assert world.fake.count("activate") == sent_before + 1
    request = retried.requests.get()
    assert (request.sim.iccid, request.state) == (refused.sim.iccid, RequestState.PENDING)
    assert world.fake.request(request.aql_id).params["subname"] == name


def test_failed_rows_cannot_be_retried_once_the_file_is_gone(world, staff):
    batch = activations(HEADER + row(0), staff)
    GatewayRequest.objects.filter(batch=batch).update(state=RequestState.FAILED)
    Upload.objects.filter(batch=batch).update(created_at=timezone.now() - imports.UPLOAD_KEPT * 2)
    tasks.prune_checks_pass()
    with pytest.raises(Refused, match="kept for a day only"):
        services.activations_retry(batch_id=batch.pk, actor=staff)
