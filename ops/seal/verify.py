"""Verifying the sealed audit trail: every sealed row read again and compared with its seal.

Each table's links are read in order, each link's rows with one query by primary key range (a million
SIMs' events are a few thousand queries, never one a row), and the two id-ordered lists walked side by
side. What does not match, by kind:

- changed:  the row is there but its canonical form (or its let-go fields, unless erased) is not what
            was sealed;
- missing:  a sealed row is gone (a routine line the system prunes is counted as pruned instead);
- inserted: a row with an id inside a sealed range that was not there when it was sealed;
- and of the seals themselves: a link altered (its digest does not chain), a link gone (a gap in the
  chain), a link sealed with another key, or the chain shorter than the last verification saw.

Rows written since the last seal are not yet sealed: counted, never a mismatch.
"""

import time
from dataclasses import dataclass, field

from django.utils import timezone

from ops.models import Seal, SealCheck
from ops.seal.canon import ERASED_AT_SEAL, MAY_GO, Table, chain, key_id, seal_key, sealed_tables, unpack

KEPT = 20  # mismatches kept in words per table; all are counted


@dataclass(frozen=True)
class Mismatch:
    table: str
    id: int | None  # the row's, or for a seal's own fault the first id it covers
    kind: str  # changed, missing, inserted, seal altered, seal missing, other key, seals removed
    words: str

    def __str__(self) -> str:
        where = f"{self.table} id {self.id}" if self.id is not None else self.table
        return f"{where}: {self.kind}: {self.words}"


@dataclass
class TableReport:
    label: str
    sealed: int = 0  # rows checked against their seal
    pruned: int = 0  # routine rows the system pruned since they were sealed
    unsealed: int = 0  # rows written after the last seal
    head: tuple[int, str] = (0, "")  # the last link: (last id, digest)
    found: list[Mismatch] = field(default_factory=list)
    mismatches: int = 0

    def add(self, mismatch: Mismatch) -> None:
        self.mismatches += 1
        if len(self.found) < KEPT:
            self.found.append(mismatch)


@dataclass
class Report:
    tables: list[TableReport]
    seconds: float

    @property
    def matched(self) -> bool:
        return not any(t.mismatches for t in self.tables)

    @property
    def first(self) -> Mismatch | None:
        return next((t.found[0] for t in self.tables if t.found), None)

    def words(self) -> str:
        sealed, unsealed = sum(t.sealed for t in self.tables), sum(t.unsealed for t in self.tables)
        if self.matched:
            return f"Every sealed row matched its seal ({sealed} checked, {unsealed} not yet sealed)."
        count = sum(t.mismatches for t in self.tables)
        return f"{count} sealed row(s) or seal(s) do not match; the first: {self.first}"


def _rows_check(table: Table, key: bytes, link: Seal, entries: list, report: TableReport) -> None:
    """Walk the link's entries and the rows now in its id range side by side."""
    rows = table.rows(link.after_id, link.last_id)
    i = j = 0
    while i < len(entries) or j < len(rows):
        entry = entries[i] if i < len(entries) else None
        row = rows[j] if j < len(rows) else None
        if row is None or (entry is not None and entry[0] < row[0]):
            if entry[3] & MAY_GO:
                report.pruned += 1
            else:
                report.add(Mismatch(table.label, entry[0], "missing", "sealed, and no longer in the table"))
            i += 1
            continue
        if entry is None or row[0] < entry[0]:
            report.add(Mismatch(table.label, row[0], "inserted",
                                "in a sealed range of ids, but not there when it was sealed"))
            j += 1
            continue
        report.sealed += 1
        _, tag, lets_go, _ = entry
        if table.row_tag(key, row) != tag:
            report.add(Mismatch(table.label, row[0], "changed", "differs from what was sealed"))
        elif not table.erased_now(row) and (lets_go == ERASED_AT_SEAL or table.lets_go_tag(key, row) != lets_go):
            names = ", ".join(table.columns[k] for k in table.lets_go)
            report.add(Mismatch(table.label, row[0], "changed", f"{names} differs from what was sealed "
                                "(only erasing it is allowed)"))
        i, j = i + 1, j + 1


def table_verify(table: Table, *, key: bytes, seen: tuple[int, str] | None) -> TableReport:
    """Check every link of `table`'s chain and every row it seals; `seen`: the head the last verification saw."""
    report, kid = TableReport(table.label), key_id(key)
    expected_after, previous, digests = 0, "", {}
    links = Seal.objects.filter(table=table.label).order_by("after_id")
    for link in links.iterator(chunk_size=20):
        if link.after_id != expected_after:
            report.add(Mismatch(table.label, expected_after + 1, "seal missing",
                                f"the seal of ids {expected_after + 1} to {link.after_id} is gone"))
            previous = None  # the next link cannot be chained to a digest we no longer have
        if link.key_id != kid:
            report.add(Mismatch(table.label, link.first_id, "other key",
                                f"sealed with another key ({link.key_id}): was SECRET_KEY or AUDIT_SEAL_KEY changed?"))
            break
        raw, entries = unpack(link.entries)
        recomputed = chain(key, previous, label=table.label, after_id=link.after_id, last_id=link.last_id, raw=raw)
        if (previous is not None and recomputed != link.digest) or len(entries) != link.count:
            report.add(Mismatch(table.label, link.first_id, "seal altered",
                                f"the seal of ids {link.after_id + 1} to {link.last_id} was changed"))
        _rows_check(table, key, link, entries, report)
        digests[link.last_id] = link.digest
        expected_after, previous = link.last_id, link.digest
    report.head = (expected_after, previous or "")
    if seen and seen[0] and digests.get(seen[0]) != seen[1]:
        report.add(Mismatch(table.label, seen[0], "seals removed",
                            f"the seal ending at id {seen[0]} that the last verification saw is gone or changed"))
    report.unsealed = table.model._default_manager.filter(pk__gt=expected_after).count()
    return report


def trail_verify(*, record: bool = True) -> Report:
    """Verify every sealed table; record the result (SealCheck) for /readyz and the dashboard."""
    started, key = time.monotonic(), seal_key()
    last = SealCheck.objects.order_by("-at", "-id").first()
    seen = last.heads if last else {}
    reports = [table_verify(t, key=key, seen=tuple(seen[t.label]) if t.label in seen else None)
               for t in sealed_tables()]
    report = Report(reports, time.monotonic() - started)
    if record:
        # A mismatch keeps the heads the last good verification saw, so "seals removed" is said again.
        heads = {t.label: list(t.head) for t in reports} if report.matched or not last else last.heads
        SealCheck.objects.create(matched=report.matched, mismatches=sum(t.mismatches for t in reports),
                                 sealed=sum(t.sealed for t in reports), unsealed=sum(t.unsealed for t in reports),
                                 words=report.words(), heads=heads, seconds=report.seconds)
    return report


def verify_pass() -> bool:
    """The worker's daily verification, so the time /readyz and the dashboard show stays fresh."""
    return trail_verify().matched


def last_check() -> SealCheck | None:
    """The latest verification, for /readyz and the dashboard."""
    return SealCheck.objects.order_by("-at", "-id").first()


def check_age_words(check: SealCheck | None) -> str:
    """When the trail was last verified and what was found, in words."""
    if check is None:
        return "The audit trail has not been verified yet (manage.py audit verify; the worker does it daily)."
    minutes = (timezone.now() - check.at).total_seconds() / 60
    when = f"{minutes:.0f} minutes ago" if minutes < 120 else f"{minutes / 60:.0f} hours ago"
    return f"Verified {when} ({check.at:%Y-%m-%d %H:%M} UTC): {check.words}"
