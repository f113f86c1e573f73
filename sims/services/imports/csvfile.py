"""Reading and checking a CSV file of SIMs: its columns found by their headers (however the
spreadsheet wrote them), its rows one at a time (the file is never held whole), each row checked by
the same validators as the single forms, and against the database a chunk of rows at a time."""

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError

from common import validators
from common.errors import Refused
from sims import lifecycle, selectors
from sims.lifecycle import Command
from sims.models import GeographicNumber, Sim, Upload
from sims.selectors_rests import is_resting, rest_words
from sims.services.batches import BATCH_AT_MOST, CHUNK

STOCK, ACTIVATE, ADOPT = Upload.STOCK, Upload.ACTIVATE, Upload.ADOPT
ROWS_AT_MOST = BATCH_AT_MOST  # rows in one file: a batch's limit
NEXT_FREE = "next free"


@dataclass(frozen=True)
class Column:
    label: str  # the staff's word for it
    required: bool
    aliases: tuple[str, ...]  # headers that mean it, written as `header_name` leaves them


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
COLUMNS[ADOPT] = {"iccid": COLUMNS[STOCK]["iccid"]}  # SIMs already in use at aql: their ICCIDs only
KIND_LABELS = {STOCK: "Add SIMs to stock", ACTIVATE: "Activate SIMs", ADOPT: "Adopt SIMs already in use at aql"}
LABEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._/-]*")  # a product code or a batch, as printed on the box
Source = Callable[[], IO[bytes]]  # opens the file anew: a confirmation reads it again from the start


@dataclass
class Row:
    line: int  # the row as a spreadsheet numbers it (the header is row 1)
    values: dict[str, str]  # as written in the file
    clean: dict[str, str] = field(default_factory=dict)  # as they will be recorded
    errors: dict[str, str] = field(default_factory=dict)  # column -> why, in the staff's words
    kind: str = ""  # stock: new, here, invalid; activation: ready, invalid; adoption: new, ours, invalid


def header_name(text: str) -> str:
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
            name = next((n for n, c in wanted.items() if header_name(header) in c.aliases), "")
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


def in_chunks(rows: Iterable[Row], ending_at: int = 0) -> Iterator[list[Row]]:
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


def pool_number(typed: str) -> str:
    """A number as a row names it, in aql's form. Written as aql writes it, it is looked up in the
    pool as it is (the pool's were checked when added; one not there is said so); written any
    other way, it is read as the forms read it (the slow part of a row: phonenumbers)."""
    if typed.isascii() and typed.isdigit() and typed.startswith("44"):
        return typed
    return validators.clean_geographic_number(typed)


class Checker:
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
            if typed and header_name(typed) != NEXT_FREE:
                with suppress(ValidationError):
                    self.numbers.setdefault(pool_number(typed), row.line)

    def check(self, chunk: list[Row]) -> list[Row]:
        for row in chunk:
            _cell(row, "iccid", validators.clean_iccid)
            iccid = row.clean.get("iccid")
            if iccid and (first := self.iccids.setdefault(iccid, row.line)) != row.line:
                row.errors["iccid"] = f"This ICCID is on row {first} of the file too."
        {STOCK: self._stock, ACTIVATE: self._activation, ADOPT: self._adoption}[self.kind](chunk)
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

    def _adoption(self, chunk: list[Row]) -> None:
        """A SIM we hold already is compared with aql's record (not overwritten): done too, and said so."""
        ours = set(Sim.objects.filter(iccid__in=[r.clean["iccid"] for r in chunk if "iccid" in r.clean])
                   .values_list("iccid", flat=True))
        for row in chunk:
            row.kind = "ours" if row.clean.get("iccid") in ours else "new"

    def _activation(self, chunk: list[Row]) -> None:
        v = validators
        for row in chunk:
            for name, check in (("imei", v.clean_imei), ("name", v.clean_name), ("address", v.clean_address),
                                ("postcode", v.clean_postcode), ("contact_number", v.clean_contact_number)):
                _cell(row, name, check)
            typed = row.values.get("number", "")
            if typed and header_name(typed) != NEXT_FREE:
                _cell(row, "number", pool_number)
                number = row.clean.get("number")
                if number and (first := self.numbers.setdefault(number, row.line)) != row.line:
                    row.errors["number"] = f"This number is on row {first} of the file too."
        iccids = [r.clean["iccid"] for r in chunk if "iccid" in r.clean]
        sims = {s.iccid: s for s in Sim.objects.filter(iccid__in=iccids).only("pk", "iccid", "state", "number_id")}
        busy = selectors.commands_in_flight(sims=sims.values())
        named = [r.clean["number"] for r in chunk if r.clean.get("number")]
        pool = {n.number: n for n in GeographicNumber.objects.filter(number__in=named)
                .only("pk", "number", "rests_since", "rests_until")}
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
                elif is_resting(pool[number]):  # a row brings someone new: a resting number is not theirs
                    row.errors["number"] = rest_words(pool[number])
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
