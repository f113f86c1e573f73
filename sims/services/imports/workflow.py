"""The import workflow: a file kept and previewed (nothing written), the agent's confirmation (stock
added in one go, or a batch of activations started), the worker queueing a started file a chunk of
rows at a time, and the failed rows of a batch as a new file to preview."""

import csv
import io
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from common import validators
from common.actors import Actor, recorded
from common.audit import name_of
from common.errors import Refused
from common.models import AuditAction, AuditEvent
from ops.leases import claim_due
from sims import lifecycle, selectors, selectors_batches
from sims.lifecycle import Command, RequestState, SimAction
from sims.models import Adoption, Batch, GatewayRequest, GeographicNumber, Sim, Subscriber, Upload
from sims.selectors_rests import is_resting, rest_words
from sims.services import outbox
from sims.services.adoptions import adoption_start
from sims.services.batches import CHUNK, timelines
from sims.services.imports.csvfile import (
    ACTIVATE,
    ADOPT,
    COLUMNS,
    NEXT_FREE,
    STOCK,
    Checker,
    Row,
    Source,
    header_name,
    in_chunks,
    pool_number,
    reading,
)
from sims.services.imports.keeping import upload_discard

SHOWN = 200  # rows with a problem the preview lists (the rest are counted)
PASTED = "pasted.csv"  # the name a pasted list is kept under (forms.UploadForm)


@dataclass
class Preview:
    kind: str
    columns: list[str]  # ours, in the file's order
    ignored: list[str]  # the file's headers nobody uses
    counts: Counter = field(default_factory=Counter)
    problems: list[Row] = field(default_factory=list)  # the first SHOWN rows that will not be done
    sample: list[Row] = field(default_factory=list)  # the first few that will, to see the columns read right
    short_of_numbers: int = 0  # activation: rows for the next free number the pool cannot serve

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_json(self) -> dict:
        """What the preview page shows (it may hold subscribers' details: kept with the upload only)."""
        def rows(found: list[Row]) -> list[dict]:
            return [{"line": r.line, "values": r.values, "errors": r.errors, "kind": r.kind} for r in found]
        return {"kind": self.kind, "columns": self.columns, "ignored": self.ignored, "counts": dict(self.counts),
                "total": self.total, "problems": rows(self.problems), "sample": rows(self.sample),
                "short_of_numbers": self.short_of_numbers}


def preview(source: Source, kind: str) -> Preview:
    """Check every row of the file without writing anything: how many of each kind, and the first
    rows that will not be done (each cell's problem in words)."""
    if kind not in COLUMNS:
        raise Refused("Choose what the file is for.", "kind")
    with reading(source, kind) as (columns, ignored, rows):
        result, checker = Preview(kind, columns, ignored), Checker(kind)
        for chunk in in_chunks(rows):
            for row in checker.check(chunk):
                result.counts[row.kind] += 1
                done = row.kind in ("new", "ready", "ours")
                if done and len(result.sample) < 10:
                    result.sample.append(row)
                elif not done and len(result.problems) < SHOWN:
                    result.problems.append(row)
    if not result.total:
        raise Refused("The file has no rows under its first line.", "file")
    # Rows further down named free numbers that rows above were counted on to take: so many fewer.
    result.short_of_numbers = max(0, -checker.free_left)
    return result


# --- confirmed ---------------------------------------------------------------------------------

def stock_add(*, source: Source, actor: Actor) -> int:
    """Add the file's new SIMs (state unused), with their product code and batch when given, in
    one transaction; rows already here or with a problem are left out, as the preview said.
    Returns how many were added."""
    checker, added = Checker(STOCK), 0
    with reading(source, STOCK) as (_, _, rows), transaction.atomic():
        for chunk in in_chunks(rows):
            new = [Sim(iccid=r.clean["iccid"], iccid_reversed=r.clean["iccid"][::-1],
                       product_code=r.clean.get("product_code") or None, lot=r.clean.get("lot") or None)
                   for r in checker.check(chunk) if r.kind == "new"]
            # ignore_conflicts: one added by someone else meanwhile is not an error, and not counted
            # (bulk_create returns all it was given): counted before and after, in this transaction
            here = Sim.objects.filter(iccid__in=[sim.iccid for sim in new])
            before = here.count()
            Sim.objects.bulk_create(new, ignore_conflicts=True)
            added += here.count() - before
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.SIMS_ADDED, subject="SIMs",
                                  message=f"{added:,} SIMs added from a file.")
    return added


def activations_start(*, upload: Upload, actor: Actor) -> Batch:
    """Start a confirmed file of activations: its batch, empty, which the worker fills a chunk of
    rows at a time (`activations_queue`), so a file of 50,000 rows is not queued in the web request
    that confirms it. Returns the batch."""
    if not upload.preview.get("counts", {}).get("ready"):
        raise Refused("No row of the file is ready to activate: correct them and upload it again.", "file")
    with transaction.atomic():  # the batch and the file's place in line together, or neither
        batch = Batch.objects.create(command=Command.ACTIVATE, actor=recorded(actor), actor_name=name_of(actor),
                                     params={"file": upload.name[:200], "rows": upload.preview.get("total", 0),
                                             "left_out": 0, "queueing": True})
        upload.batch, upload.queue_at = batch, timezone.now()
        upload.save(update_fields=["batch", "queue_at"])
    return batch


# Seconds a step of queueing goes on for, well inside its claim: each step reads the file again up
# to where the last one stopped (a second at 50,000 rows), so not too many steps.
QUEUE_BUDGET = 20.0


def activations_queue(*, upload_id: int, budget: float = QUEUE_BUDGET) -> bool:
    """The worker's step for a started file of activations: from the row the last step reached,
    per ready row, under the SIM's lock, the request journalled waiting to be sent, the number held
    for it (the named one, or the next free one), the subscriber recorded; a row whose SIM or
    number was taken since the preview is recorded as not done, with why. A transaction a chunk of
    rows, with the file's place in it, so a worker stopped mid-way goes on from that chunk and no
    row is queued twice. Rows with a problem are left out, as the preview said. After `budget`
    seconds the step ends and the file is due again. Returns whether rows are left."""
    upload = Upload.objects.select_related("batch", "actor").get(pk=upload_id)
    if upload.queue_at is None or upload.batch is None:
        return False
    started, batch, done = time.monotonic(), upload.batch, 0
    try:
        named = _named_numbers(upload.file.open)  # first, so no row takes another's as the next free one
        checker = Checker(ACTIVATE)
        with reading(upload.file.open, ACTIVATE) as (_, _, rows):
            for chunk in in_chunks(rows, ending_at=upload.rows_done):
                if done + len(chunk) <= upload.rows_done:  # queued by an earlier step: only remembered
                    checker.remember(chunk)
                    done += len(chunk)
                    continue
                ready = [r for r in checker.check(chunk) if r.kind == "ready"]
                with transaction.atomic():
                    # Under the file's lock: a cancel (queue_at emptied) stops it between chunks.
                    if not list(Upload.objects.select_for_update().filter(
                            pk=upload.pk, queue_at__isnull=False, rows_done=done).values_list("pk")[:1]):
                        return False
                    made = _queue_activations(batch, ready, named, upload.actor) if ready else 0
                    held = Batch.objects.select_for_update().get(pk=batch.pk)
                    held.size += made
                    held.params["left_out"] = held.params.get("left_out", 0) + len(chunk) - len(ready)
                    held.save(update_fields=["size", "params"])
                    done += len(chunk)
                    Upload.objects.filter(pk=upload.pk).update(rows_done=done)
                if time.monotonic() - started >= budget:
                    Upload.objects.filter(pk=upload.pk, queue_at__isnull=False).update(queue_at=timezone.now())
                    return True
    except Refused as exc:  # the file can no longer be read as it was: what was queued goes on
        _queued(batch, stopped=exc.message)
        return False
    except OSError as exc:  # not there: a worker machine without the web's MEDIA_ROOT (README: Production)
        _queued(batch, stopped=f"The worker could not read the file ({type(exc).__name__}): the rest of it was "
                               "not queued. Its machine must share MEDIA_ROOT with the web's.")
        return False
    _queued(batch)
    return False


def _queued(batch: Batch, stopped: str = "") -> None:
    """Every row of the batch's file gone through (or the rest never will be, and why)."""
    with transaction.atomic():
        Upload.objects.filter(batch=batch).update(queue_at=None)
        held = Batch.objects.select_for_update().get(pk=batch.pk)
        held.params["queueing"] = False
        if stopped:
            held.params["stopped"] = stopped
        held.save(update_fields=["params"])
        outbox.batch_finish_if_done(held.pk)  # what was queued may all have settled already


def uploads_due(*, limit: int, lease: float) -> list[int]:
    """Claim the started files of activations whose queueing is due (the worker's lane)."""
    return claim_due(Upload.objects.filter(queue_at__isnull=False), field="queue_at", limit=limit, lease=lease)


def _named_numbers(source: Source) -> set[str]:
    """The numbers the file's rows name (however written; not checked further)."""
    named = set()
    with reading(source, ACTIVATE) as (_, _, rows):
        for row in rows:
            typed = row.values.get("number", "")
            if typed and header_name(typed) != NEXT_FREE:
                with suppress(ValidationError):
                    named.add(pool_number(typed))
    return named


def _free_numbers(skip: set[str]) -> Iterator[GeographicNumber]:
    """The pool's free numbers in order, locked, leaving out those rows of the file name."""
    after = ""
    while True:
        page = list(GeographicNumber.objects.select_for_update().available().filter(number__gt=after)
                    .order_by("number")[:CHUNK])
        if not page:
            return
        yield from (n for n in page if n.number not in skip)
        after = page[-1].number


def _queue_activations(batch: Batch, rows: list[Row], named: set[str], actor: Actor) -> int:
    """Queue the ready rows (see `activations_queue`); how many requests were journalled."""
    now, by_iccid = timezone.now(), {r.clean["iccid"]: r for r in rows}
    sims = list(Sim.objects.select_for_update(of=("self",)).filter(iccid__in=by_iccid).order_by("pk"))
    busy = selectors.commands_in_flight(sims=sims)
    pool = {n.number: n for n in GeographicNumber.objects.select_for_update()
            .filter(number__in=[r.clean["number"] for r in rows if r.clean["number"]])}
    used = set(GeographicNumber.objects.in_use().filter(pk__in=[n.pk for n in pool.values()])
               .values_list("number", flat=True))
    free = _free_numbers(named)
    requests, plans = [], []
    for sim in sims:
        row = by_iccid[sim.iccid]
        why = lifecycle.refusal(command=Command.ACTIVATE, state=sim.state, has_number=sim.number_id is not None,
                                in_flight=busy.get(sim.pk))
        number = None
        if not why and row.clean["number"]:
            number = pool.get(row.clean["number"])
            why = ("That number is not in our pool: add it under Numbers first." if number is None
                   else "That number is already in use by another SIM." if number.number in used
                   else rest_words(number) if is_resting(number) else None)  # resting since the preview
        elif not why:
            number = next(free, None)
            why = None if number else "No free number was left in the pool for it: add numbers, then its row again."
        requests.append(GatewayRequest(
            sim=sim, batch=batch, command=Command.ACTIVATE, actor=recorded(actor), actor_name=batch.actor_name,
            params={"imei": row.clean["imei"], "geo_nos": number.number if number and not why else None},
            state_before=sim.state, state=RequestState.NOT_SENT if why else RequestState.TO_SEND,
            next_poll_at=None if why else now, settled_at=now if why else None, why_not_sent=why or ""))
        plans.append((sim, row, number if not why else None, why))
    requests = GatewayRequest.objects.bulk_create(requests)
    queued = [(request, *plan) for request, plan in zip(requests, plans, strict=True) if not plan[3]]
    # The subscriber's details stay in Subscriber (erasable), not in the journal; sent from there.
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(name=row.clean["name"], address=row.clean["address"], postcode=row.clean["postcode"],
                   contact_number=row.clean["contact_number"]) for _, _, row, _, _ in queued)
    for (_, sim, _, _, _), subscriber in zip(queued, subscribers, strict=True):
        sim.subscriber = subscriber
    # Each number held for its request (no other SIM can be given it meanwhile), each SIM given its
    # subscriber: one statement run for every row (bulk_update's CASE over 500 rows took 20 times as long).
    with connection.cursor() as cursor:  # (the table names are ours, not input)
        cursor.executemany(f"UPDATE {GeographicNumber._meta.db_table} SET held_by_id = %s WHERE id = %s",  # noqa: S608
                           [(request.pk, number.pk) for request, _, _, number, _ in queued])
        cursor.executemany(f"UPDATE {Sim._meta.db_table} SET subscriber_id = %s WHERE id = %s",  # noqa: S608
                           [(sim.subscriber_id, sim.pk) for _, sim, _, _, _ in queued])
    timelines(actor, batch.actor_name, [
        (sim, request, SimAction.NOT_SENT if why else SimAction.SENDING,
         # (the number is named when it is sent: formatting it here cost a third of the queueing)
         f"Activation not done (batch {batch.pk}): {why}" if why
         else f"Activation waiting to be sent (batch {batch.pk}).")
        for request, (sim, _, number, why) in zip(requests, plans, strict=True)])
    return len(requests)



# --- the uploaded file, between its preview and the agent's word --------------------------------

UPLOAD_BYTES_AT_MOST = 20 * 2**20  # 50,000 rows of activations are about 5 MB


def upload_preview(*, file: UploadedFile, kind: str, actor: Actor) -> Upload:
    """Keep an uploaded file and check it (`preview`): the upload, with what its preview page shows.
    A file that cannot be read as the kind asks is refused, and not kept."""
    if kind not in COLUMNS:
        raise Refused("Choose what the file is for.", "kind")
    if file.size and file.size > UPLOAD_BYTES_AT_MOST:
        raise Refused(f"The file is {file.size / 2**20:.0f} MB: at most {UPLOAD_BYTES_AT_MOST // 2**20} MB "
                      "(50,000 rows) a file. Split it, and upload each part.", "file")
    upload = Upload(kind=kind, name=(file.name or "pasted")[:200], actor=actor)
    upload.file.save(f"{uuid.uuid4().hex}.csv", file, save=False)  # a name of ours: never the agent's
    try:
        upload.preview = preview(upload.file.open, kind).as_json()
        upload.save()
    except BaseException:  # refused, or anything else: no file is left without its row
        upload.file.delete(save=False)
        raise
    return upload


def upload_confirm(*, upload_id: int, actor: Actor) -> int | Batch | Adoption:
    """Do what the agent saw in the preview: add the SIMs (how many; the file is read and checked
    again, then deleted with the upload), start the activations (the batch the worker fills), or
    start the adoption (the file read and checked again, then deleted)."""
    # Taken once: a second press, or a cancel meanwhile, finds it taken and is refused.
    if not Upload.objects.filter(pk=upload_id, confirming=False).update(confirming=True):
        raise Refused("This file is being done already, or was cancelled.")
    upload = Upload.objects.get(pk=upload_id)
    try:
        if upload.kind == ACTIVATE:
            return activations_start(upload=upload, actor=actor)  # the file is kept: see Upload
        done = (adoption_from_file(upload=upload, actor=actor) if upload.kind == ADOPT
                else stock_add(source=upload.file.open, actor=actor))
    except BaseException:
        Upload.objects.filter(pk=upload_id).update(confirming=False)  # nothing done: again
        raise
    upload_discard(upload_id=upload.pk, force=True)
    return done


def adoption_from_file(*, upload: Upload, actor: Actor) -> Adoption:
    """Adopt the ICCIDs of a confirmed file, read and checked again: rows with a problem are left out,
    as the preview said. Returns the adoption (sims.services.adoptions), which the worker asks about."""
    checker, iccids = Checker(ADOPT), []
    with reading(upload.file.open, ADOPT) as (_, _, rows):
        for chunk in in_chunks(rows):
            iccids += [row.clean["iccid"] for row in checker.check(chunk) if row.kind in ("new", "ours")]
    if not iccids:
        raise Refused("No row of the file can be adopted: correct them and upload it again.", "file")
    pasted = upload.name == PASTED
    return adoption_start(iccids=iccids, actor=actor, source="a pasted list" if pasted else f"file {upload.name}")



def activations_retry(*, batch_id: int, actor: Actor) -> Upload:
    """The rows of a file of activations whose request failed, was refused or was not done, as a new
    file to preview and confirm (an upload of `actor`'s): numbers and SIMs are checked again, as
    for any file. Unknown outcomes are not retried: aql may still be doing them. The file is kept a
    day; after that its rows must be uploaded again."""
    batch = Batch.objects.get(pk=batch_id)
    upload = Upload.objects.filter(batch=batch).first()
    if upload is None:
        raise Refused("This batch's file is kept for a day only: upload the rows that did not go through again "
                      "(the batch's CSV lists them).")
    if upload.queue_at is not None:
        raise Refused("The file's rows are still being queued: try again the failed ones when all are.")
    again = {iccid for _, iccid in selectors_batches.batch_retryable(batch=batch)}  # those that could go through now
    if not again:
        raise Refused("Nothing to try again: no row that did not go through could now.")
    out = io.StringIO()
    writer, labels = csv.writer(out), {n: c.label for n, c in COLUMNS[ACTIVATE].items()}
    with reading(upload.file.open, ACTIVATE) as (columns, _, rows):
        writer.writerow(labels[c] for c in columns)
        for row in rows:
            with suppress(ValidationError):
                if validators.clean_iccid(row.values.get("iccid", "")) in again:
                    writer.writerow(row.values.get(c, "") for c in columns)
    name = f"Failed rows of batch {batch.pk} ({upload.name})"
    return upload_preview(file=ContentFile(out.getvalue().encode(), name=name[:200]), kind=ACTIVATE, actor=actor)
