"""CSV files of SIMs: stock in (ICCIDs, with a product code and a batch if the file has them) and
bulk activation (one SIM a row, with its subscriber). A file is read a row at a time, never held
whole; each row is checked by the same validators as the single forms, and against the database
a chunk of rows at a time. Nothing is written until the agent has seen the preview and confirmed:
then the file is read and checked again, as things may have changed meanwhile.

Stock in adds every new SIM in one transaction. Activation makes a batch: each row's request is
journalled, waiting to be sent (the worker sends them within AQL_MAX_CONCURRENCY), exactly as a
batch from the SIM list, so an uncertain outcome stays unknown per row.
"""

import codecs
import csv
import io
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

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
from sims.lifecycle import Command, RequestState
from sims.models import Batch, GatewayRequest, GeographicNumber, Sim, Subscriber, Upload
from sims.services import outbox
from sims.services.batches import BATCH_AT_MOST, CHUNK, timelines

STOCK, ACTIVATE = Upload.STOCK, Upload.ACTIVATE
ROWS_AT_MOST = BATCH_AT_MOST  # rows in one file: a batch's limit
SHOWN = 200  # rows with a problem the preview lists (the rest are counted)
NEXT_FREE = "next free"


@dataclass(frozen=True)
class Column:
    label: str  # the staff's word for it
    required: bool
    aliases: tuple[str, ...]  # headers that mean it, written as `_header` leaves them


COLUMNS = {
    STOCK: {
        "iccid": Column("ICCID", True, ("iccid", "icc id", "icc", "sim", "sim number", "sim serial", "serial",
                                        "serial number")),
        "product_code": Column("Product code", False, ("product code", "product", "product id", "sku", "code")),
        "lot": Column("Batch", False, ("batch", "batch number", "batch no", "lot", "lot number")),
    },
    ACTIVATE: {
        "iccid": Column("ICCID", True, ("iccid", "icc id", "icc", "sim", "sim number", "sim serial", "serial",
                                        "serial number")),
        "imei": Column("IMEI", True, ("imei", "handset imei", "handset", "device imei")),
        "number": Column("Number", False, ("number", "geographic number", "geo number", "geo nos", "msisdn",
                                           "phone number", "landline")),
        "name": Column("Name", True, ("name", "subscriber", "subscriber name", "subname", "customer",
                                      "customer name", "full name")),
        "address": Column("Address", True, ("address", "subscriber address", "subaddress", "street address")),
        "postcode": Column("Postcode", True, ("postcode", "post code", "postal code", "zip", "zip code",
                                              "subpostcode")),
        "contact_number": Column("Contact number", True, ("contact", "contact number", "contact phone",
                                                          "contact phone number", "subcontactno", "telephone",
                                                          "mobile")),
    },
}
KIND_LABELS = {STOCK: "Add SIMs to stock", ACTIVATE: "Activate SIMs"}
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/-]*")  # a product code or a batch, as printed on the box
Source = Callable[[], IO[bytes]]  # opens the file anew: a confirmation reads it again from the start


@dataclass
class Row:
    line: int  # the row as a spreadsheet numbers it (the header is row 1)
    values: dict[str, str]  # as written in the file
    clean: dict[str, str] = field(default_factory=dict)  # as they will be recorded
    errors: dict[str, str] = field(default_factory=dict)  # column -> why, in the staff's words
    kind: str = ""  # stock: new, here, invalid; activation: ready, invalid


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


def _header(text: str) -> str:
    """A header as written, reduced to compare: "Geo_Nos " and "geo-nos" are both "geo nos"."""
    return " ".join(re.sub(r"[_\-.:]", " ", text.strip().lower()).split())


def _encoding(raw: IO[bytes]) -> str:
    """UTF-8 (with or without the byte-order mark Excel's "CSV UTF-8" starts with) if the whole file
    reads as such, else Windows-1252, what Excel's plain "CSV" writes in the UK. Read a piece at a
    time: the file is never held whole."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        while piece := raw.read(1 << 16):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        raw.seek(0)


def _open(raw: IO[bytes]) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding=_encoding(raw), newline="")


@contextmanager
def reading(source: Source, kind: str) -> Iterator[tuple[list[str], list[str], Iterator[Row]]]:
    """The file's columns as ours, the headers not used, and its rows one at a time (while open).
    Refuses (with why) a file that is not UTF-8 CSV text or lacks a column the kind needs."""
    with source() as raw:
        text = _open(raw)
        try:
            first = text.readline()
        except UnicodeDecodeError:
            raise Refused("The file is not text: save it from the spreadsheet as \"CSV UTF-8\" and upload it "
                          "again.", "file") from None
        if not first.strip():
            raise Refused("The file is empty: its first line should name the columns.", "file")
        try:
            dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        try:
            headers = next(csv.reader([first], dialect))
        except csv.Error as exc:
            raise Refused(f"The file's first line is not readable as CSV ({exc}).", "file") from None
        wanted, ours, ignored = COLUMNS[kind], [], []
        for header in headers:
            name = next((n for n, c in wanted.items() if _header(header) in c.aliases), "")
            if name and name in ours:
                raise Refused(f"Two columns mean {wanted[name].label}: keep one.", "file")
            ours.append(name)
            if not name and header.strip():
                ignored.append(header.strip())
        if missing := [c.label for n, c in wanted.items() if c.required and n not in ours]:
            raise Refused(f"The file has no column for {', '.join(missing)}. Its first line should name the "
                          f"columns ({', '.join(c.label for c in wanted.values())}).", "file")

        def rows() -> Iterator[Row]:
            read = 0
            try:
                for line, cells in enumerate(csv.reader(text, dialect), start=2):
                    if not any(c.strip() for c in cells):
                        continue  # a blank line, as spreadsheets leave at the end
                    if (read := read + 1) > ROWS_AT_MOST:
                        raise Refused(f"The file has more than {ROWS_AT_MOST:,} rows: split it, and upload each "
                                      "part.", "file")
                    row = Row(line, {n: v.strip() for n, v in zip(ours, cells, strict=False) if n})
                    if any(c.strip() for c in cells[len(headers):]):  # its values would be read into the wrong columns
                        row.errors["row"] = (f"This row has {len(cells)} values where the first line names "
                                             f"{len(headers)} columns: put quotes around a value with a comma in it.")
                    yield row
            except UnicodeDecodeError:
                raise Refused("Part of the file is not text: save it from the spreadsheet as \"CSV UTF-8\" and "
                              "upload it again.", "file") from None
            except csv.Error as exc:
                raise Refused(f"The file is not readable as CSV ({exc}).", "file") from None

        yield [n for n in ours if n], ignored, rows()


def _chunks(rows: Iterable[Row], ending_at: int = 0) -> Iterator[list[Row]]:
    """The rows CHUNK at a time, a chunk also ending after row `ending_at` (where an earlier step,
    perhaps of a release with another CHUNK, stopped), so the rows before it are whole chunks."""
    chunk: list[Row] = []
    for n, row in enumerate(rows, 1):
        chunk.append(row)
        if len(chunk) == CHUNK or n == ending_at:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cell(row: Row, name: str, check) -> None:
    try:
        row.clean[name] = check(row.values.get(name, ""))
    except ValidationError as exc:
        row.errors[name] = " ".join(exc.messages)


def _label(what: str, most: int) -> Callable[[str], str]:
    """The check of a product code or a batch: may be left empty."""
    def check(value: str) -> str:
        if value and (len(value) > most or not LABEL_RE.fullmatch(value)):
            raise ValidationError(f"{what} is letters, digits, spaces and . _ / - only, up to {most} characters.")
        return value
    return check


def _pool_number(typed: str) -> str:
    """A number as a row names it, in aql's form. Written as aql writes it, it is looked up in the
    pool as it is (the pool's were checked when added; one not there is said so); written any
    other way, it is read as the forms read it (the slow part of a row: phonenumbers)."""
    if typed.isascii() and typed.isdigit() and typed.startswith("44"):
        return typed
    return validators.clean_geographic_number(typed)


class _Checker:
    """Checks rows a chunk at a time and remembers what earlier chunks had (repeats in the file,
    how many free numbers are left for the rows that take the next free one)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.iccids: dict[str, int] = {}  # ICCID -> the line that has it first
        self.numbers: dict[str, int] = {}
        self.free_left = (GeographicNumber.objects.available().order_by().values("pk")[:ROWS_AT_MOST + 1].count()
                          if kind == ACTIVATE else 0)

    def remember(self, chunk: list[Row]) -> None:
        """Note the ICCIDs and numbers of rows dealt with already (a step before this one), so a
        repeat further down is still found, without checking them again."""
        for row in chunk:
            with suppress(ValidationError):
                self.iccids.setdefault(validators.clean_iccid(row.values.get("iccid", "")), row.line)
            typed = row.values.get("number", "")
            if typed and _header(typed) != NEXT_FREE:
                with suppress(ValidationError):
                    self.numbers.setdefault(_pool_number(typed), row.line)

    def check(self, chunk: list[Row]) -> list[Row]:
        for row in chunk:
            _cell(row, "iccid", validators.clean_iccid)
            iccid = row.clean.get("iccid")
            if iccid and (first := self.iccids.setdefault(iccid, row.line)) != row.line:
                row.errors["iccid"] = f"This ICCID is on row {first} of the file too."
        (self._stock if self.kind == STOCK else self._activation)(chunk)
        for row in chunk:
            row.kind = "invalid" if row.errors else row.kind
        return chunk

    def _stock(self, chunk: list[Row]) -> None:
        for row in chunk:
            _cell(row, "product_code", _label("A product code", 30))
            _cell(row, "lot", _label("A batch", 50))
        here = set(Sim.objects.filter(iccid__in=[r.clean["iccid"] for r in chunk if "iccid" in r.clean])
                   .values_list("iccid", flat=True))
        for row in chunk:
            row.kind = "here" if row.clean.get("iccid") in here else "new"

    def _activation(self, chunk: list[Row]) -> None:
        v = validators
        for row in chunk:
            for name, check in (("imei", v.clean_imei), ("name", v.clean_name), ("address", v.clean_address),
                                ("postcode", v.clean_postcode), ("contact_number", v.clean_contact_number)):
                _cell(row, name, check)
            typed = row.values.get("number", "")
            if typed and _header(typed) != NEXT_FREE:
                _cell(row, "number", _pool_number)
                number = row.clean.get("number")
                if number and (first := self.numbers.setdefault(number, row.line)) != row.line:
                    row.errors["number"] = f"This number is on row {first} of the file too."
        iccids = [r.clean["iccid"] for r in chunk if "iccid" in r.clean]
        sims = {s.iccid: s for s in Sim.objects.filter(iccid__in=iccids).only("pk", "iccid", "state", "number_id")}
        busy = selectors.commands_in_flight(sims=sims.values())
        named = [r.clean["number"] for r in chunk if r.clean.get("number")]
        pool = dict(GeographicNumber.objects.filter(number__in=named).values_list("number", "pk"))
        used = set(GeographicNumber.objects.in_use().filter(number__in=named).values_list("number", flat=True))
        for row in chunk:
            sim = sims.get(row.clean.get("iccid", ""))
            if "iccid" in row.clean and "iccid" not in row.errors:
                if sim is None:
                    row.errors["iccid"] = "No SIM with this ICCID on our account: add it to stock first."
                elif why := lifecycle.refusal(command=Command.ACTIVATE, state=sim.state,
                                              has_number=sim.number_id is not None, in_flight=busy.get(sim.pk)):
                    row.errors["iccid"] = why
            number = row.clean.get("number")
            if number and "number" not in row.errors:
                if number not in pool:
                    row.errors["number"] = "Not in our pool: add it under Numbers first."
                elif number in used:
                    row.errors["number"] = "Already in use by another SIM."
        for row in chunk:  # the free numbers left go first to the rows that name them, then in turn
            if not row.errors and row.clean.get("number"):
                self.free_left -= 1
        for row in chunk:
            if not row.clean.get("number") and "number" not in row.errors:
                row.clean["number"] = ""
                if row.errors:
                    continue
                if self.free_left <= 0:
                    row.errors["number"] = "No free number left in the pool for this row: add numbers first."
                self.free_left -= 1
            row.kind = "ready"


def preview(source: Source, kind: str) -> Preview:
    """Check every row of the file without writing anything: how many of each kind, and the first
    rows that will not be done (each cell's problem in words)."""
    if kind not in COLUMNS:
        raise Refused("Choose what the file is for.", "kind")
    with reading(source, kind) as (columns, ignored, rows):
        result, checker = Preview(kind, columns, ignored), _Checker(kind)
        for chunk in _chunks(rows):
            for row in checker.check(chunk):
                result.counts[row.kind] += 1
                done = row.kind in ("new", "ready")
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
    checker, added = _Checker(STOCK), 0
    with reading(source, STOCK) as (_, _, rows), transaction.atomic():
        for chunk in _chunks(rows):
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
        checker = _Checker(ACTIVATE)
        with reading(upload.file.open, ACTIVATE) as (_, _, rows):
            for chunk in _chunks(rows, ending_at=upload.rows_done):
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
            if typed and _header(typed) != NEXT_FREE:
                with suppress(ValidationError):
                    named.add(_pool_number(typed))
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
                   else "That number is already in use by another SIM." if number.number in used else None)
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
        (sim, request, AuditAction.NOT_SENT if why else AuditAction.SENDING,
         # (the number is named when it is sent: formatting it here cost a third of the queueing)
         f"Activation not done (batch {batch.pk}): {why}" if why
         else f"Activation waiting to be sent (batch {batch.pk}).")
        for request, (sim, _, number, why) in zip(requests, plans, strict=True)])
    return len(requests)


# --- the uploaded file, between its preview and the agent's word --------------------------------

UPLOAD_KEPT = timedelta(days=1)
UPLOAD_DIR = "uploads/"  # Upload.file's upload_to
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


def upload_confirm(*, upload_id: int, actor: Actor) -> int | Batch:
    """Do what the agent saw in the preview: add the SIMs (how many; the file is read and checked
    again, then deleted with the upload), or start the activations (the batch the worker fills)."""
    # Taken once: a second press, or a cancel meanwhile, finds it taken and is refused.
    if not Upload.objects.filter(pk=upload_id, confirming=False).update(confirming=True):
        raise Refused("This file is being done already, or was cancelled.")
    upload = Upload.objects.get(pk=upload_id)
    try:
        if upload.kind == ACTIVATE:
            return activations_start(upload=upload, actor=actor)  # the file is kept: see Upload
        added = stock_add(source=upload.file.open, actor=actor)
    except BaseException:
        Upload.objects.filter(pk=upload_id).update(confirming=False)  # nothing done: again
        raise
    upload_discard(upload_id=upload.pk, force=True)
    return added


def upload_discard(*, upload_id: int, force: bool = False) -> None:
    """Forget an upload and delete its file; not one being done (unless `force`: it is done)."""
    for upload in Upload.objects.filter(pk=upload_id):
        if upload.confirming and not force:
            raise Refused("This file is being done: it can no longer be cancelled.")
        upload.file.delete(save=False)
        upload.delete()


def uploads_prune() -> int:
    """Delete the uploads a day old (they may hold subscribers' details): left unconfirmed, or kept
    with their batch to try its failed rows again; and any file whose row is gone (a deleted
    account's). How many uploads."""
    cutoff = timezone.now() - UPLOAD_KEPT
    old = list(Upload.objects.filter(created_at__lt=cutoff, queue_at__isnull=True).values_list("pk", flat=True))
    for pk in old:
        upload_discard(upload_id=pk, force=True)
    storage, kept = Upload.file.field.storage, set(Upload.objects.values_list("file", flat=True))
    with suppress(FileNotFoundError):
        for name in storage.listdir(UPLOAD_DIR)[1]:
            path = f"{UPLOAD_DIR}{name}"
            if path not in kept and storage.get_modified_time(path) < cutoff:
                storage.delete(path)
    return len(old)


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
