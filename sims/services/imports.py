"""CSV files of SIMs: stock in (ICCIDs, with a product code and a batch if the file has them) and
bulk activation (one SIM a row, with its subscriber). A file is read a row at a time, never held
whole; each row is checked by the same validators as the single forms, and against the database
a chunk of rows at a time. Nothing is written until the agent has seen the preview and confirmed:
then the file is read and checked again, as things may have changed meanwhile.

Stock in adds every new SIM in one transaction. Activation makes a batch: each row's request is
journalled, waiting to be sent (the worker sends them within AQL_MAX_CONCURRENCY), exactly as a
batch from the SIM list, so an uncertain outcome stays unknown per row.
"""

import csv
import io
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from common import validators
from common.actors import Actor, recorded
from common.audit import name_of
from common.errors import Refused
from common.models import AuditAction, AuditEvent
from sims import lifecycle
from sims.lifecycle import IN_FLIGHT, Command, RequestState
from sims.models import Batch, GatewayRequest, GeographicNumber, Sim, Subscriber, Upload
from sims.services.batches import BATCH_AT_MOST, CHUNK, _timelines

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
    named_numbers: set[str] = field(default_factory=set)  # activation: the numbers rows ask for by name
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


def _open(file: IO[bytes]) -> io.TextIOWrapper:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark; without one it reads the same
    return io.TextIOWrapper(file, encoding="utf-8-sig", newline="")


@contextmanager
def reading(source: Source, kind: str) -> Iterator[tuple[list[str], list[str], Iterator[Row]]]:
    """The file's columns as ours, the headers not used, and its rows one at a time (while open).
    Refuses (with why) a file that is not UTF-8 CSV text or lacks a column the kind needs."""
    with source() as raw:
        text = _open(raw)
        try:
            first = text.readline()
        except UnicodeDecodeError:
            raise Refused("The file is not UTF-8 text: save it as \"CSV UTF-8\" and upload it again.",
                          "file") from None
        if not first.strip():
            raise Refused("The file is empty: its first line should name the columns.", "file")
        try:
            dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        headers = next(csv.reader([first], dialect))
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
            try:
                for line, cells in enumerate(csv.reader(text, dialect), start=2):
                    if not any(c.strip() for c in cells):
                        continue  # a blank line, as spreadsheets leave at the end
                    if line > ROWS_AT_MOST + 1:
                        raise Refused(f"The file has more than {ROWS_AT_MOST:,} rows: split it, and upload each "
                                      "part.", "file")
                    yield Row(line, {n: v.strip() for n, v in zip(ours, cells, strict=False) if n})
            except UnicodeDecodeError:
                raise Refused("Part of the file is not UTF-8 text: save it as \"CSV UTF-8\" and upload it "
                              "again.", "file") from None
            except csv.Error as exc:
                raise Refused(f"The file is not readable as CSV ({exc}).", "file") from None

        yield [n for n in ours if n], ignored, rows()


def _chunks(rows: Iterable[Row]) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
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


class _Checker:
    """Checks rows a chunk at a time and remembers what earlier chunks had (repeats in the file,
    how many free numbers are left for the rows that take the next free one)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.iccids: dict[str, int] = {}  # ICCID -> the line that has it first
        self.numbers: dict[str, int] = {}
        self.free_left = (GeographicNumber.objects.available().order_by().values("pk")[:ROWS_AT_MOST + 1].count()
                          if kind == ACTIVATE else 0)

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
                _cell(row, "number", v.clean_geographic_number)
                number = row.clean.get("number")
                if number and (first := self.numbers.setdefault(number, row.line)) != row.line:
                    row.errors["number"] = f"This number is on row {first} of the file too."
        iccids = [r.clean["iccid"] for r in chunk if "iccid" in r.clean]
        sims = {s.iccid: s for s in Sim.objects.filter(iccid__in=iccids).only("pk", "iccid", "state", "number_id")}
        busy = dict(GatewayRequest.objects.filter(sim__in=sims.values(), state__in=IN_FLIGHT)
                    .exclude(command=Command.QUERYICCID).values_list("sim_id", "command"))
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
                if row.kind == "ready" and row.clean["number"]:
                    result.named_numbers.add(row.clean["number"])
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
            # ignore_conflicts: one added by someone else meanwhile is not an error
            added += len(Sim.objects.bulk_create(new, ignore_conflicts=True))
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.SIMS_ADDED, subject="SIMs",
                                  message=f"{added:,} SIMs added from a file.")
    return added


def activations_start(*, source: Source, actor: Actor, name: str = "") -> Batch:
    """A batch that activates each ready row's SIM for its subscriber: per row, under the SIM's
    lock, the request journalled waiting to be sent, the number held for it (the named one, or
    the next free one), the subscriber recorded. A row whose SIM or number was taken since the
    preview is recorded as not done, with why. A transaction a chunk of rows, as a batch from the
    SIM list. Rows with a problem are left out, as the preview said. Returns the batch."""
    first = preview(source, ACTIVATE)  # the numbers rows name, so no row takes another's as the next free
    if not first.counts["ready"]:
        raise Refused("No row of the file is ready to activate: correct them and upload it again.", "file")
    batch = Batch.objects.create(command=Command.ACTIVATE, actor=recorded(actor), actor_name=name_of(actor),
                                 params={"file": name[:200], "rows": first.total, "left_out": first.counts["invalid"]})
    checker = _Checker(ACTIVATE)
    with reading(source, ACTIVATE) as (_, _, rows):
        for chunk in _chunks(rows):
            if ready := [r for r in checker.check(chunk) if r.kind == "ready"]:
                with transaction.atomic():
                    _queue_activations(batch, ready, first.named_numbers, actor)
    batch.size = batch.requests.count()
    batch.save(update_fields=["size"])
    return batch


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


def _queue_activations(batch: Batch, rows: list[Row], named: set[str], actor: Actor) -> None:
    now, by_iccid = timezone.now(), {r.clean["iccid"]: r for r in rows}
    sims = list(Sim.objects.select_for_update(of=("self",)).filter(iccid__in=by_iccid).order_by("pk"))
    busy = dict(GatewayRequest.objects.filter(sim__in=sims, state__in=IN_FLIGHT)
                .exclude(command=Command.QUERYICCID).values_list("sim_id", "command"))
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
    for request, _, _, number, _ in queued:  # held for the request: no other SIM can be given it meanwhile
        number.held_by = request
    GeographicNumber.objects.bulk_update([q[3] for q in queued], ["held_by"])
    # The subscriber's details stay in Subscriber (erasable), not in the journal; sent from there.
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(name=row.clean["name"], address=row.clean["address"], postcode=row.clean["postcode"],
                   contact_number=row.clean["contact_number"]) for _, _, row, _, _ in queued)
    for (_, sim, _, _, _), subscriber in zip(queued, subscribers, strict=True):
        sim.subscriber = subscriber
    Sim.objects.bulk_update([q[1] for q in queued], ["subscriber"])
    _timelines(actor, batch.actor_name, [
        (sim, request, AuditAction.NOT_SENT if why else AuditAction.SENDING,
         f"Activation not done (batch {batch.pk}): {why}" if why else
         f"Activation waiting to be sent with number {validators.phone_national(number.number)} (batch {batch.pk}).")
        for request, (sim, _, number, why) in zip(requests, plans, strict=True)])


# --- the uploaded file, between its preview and the agent's word --------------------------------

UPLOAD_KEPT = timedelta(days=1)


def upload_preview(*, file: UploadedFile, kind: str, actor: Actor) -> Upload:
    """Keep an uploaded file and check it (`preview`): the upload, with what its preview page shows.
    A file that cannot be read as the kind asks is refused, and not kept."""
    if kind not in COLUMNS:
        raise Refused("Choose what the file is for.", "kind")
    upload = Upload(kind=kind, name=(file.name or "pasted")[:200], actor=actor)
    upload.file.save(f"{uuid.uuid4().hex}.csv", file, save=False)  # a name of ours: never the agent's
    try:
        upload.preview = preview(upload.file.open, kind).as_json()
    except Refused:
        upload.file.delete(save=False)
        raise
    upload.save()
    return upload


def upload_confirm(*, upload_id: int, actor: Actor) -> int | Batch:
    """Do what the agent saw in the preview: add the SIMs (how many), or start the activations (the
    batch). The file is read and checked again, then deleted with the upload."""
    upload = Upload.objects.get(pk=upload_id)
    if upload.kind == STOCK:
        done: int | Batch = stock_add(source=upload.file.open, actor=actor)
    else:
        done = activations_start(source=upload.file.open, actor=actor, name=upload.name)
    upload_discard(upload_id=upload.pk)
    return done


def upload_discard(*, upload_id: int) -> None:
    """Forget an upload and delete its file."""
    for upload in Upload.objects.filter(pk=upload_id):
        upload.file.delete(save=False)
        upload.delete()


def uploads_prune() -> int:
    """Delete the uploads left unconfirmed for a day (with their subscribers' details). How many."""
    old = list(Upload.objects.filter(created_at__lt=timezone.now() - UPLOAD_KEPT).values_list("pk", flat=True))
    for pk in old:
        upload_discard(upload_id=pk)
    return len(old)
