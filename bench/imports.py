"""How long CSV files of SIMs take, and the memory they take (issue 15): a stock file and an
activation file of --rows rows (default 50,000), each previewed and then done (the SIMs added; the
activations queued as a batch), as the staff site does them, on the database DATABASE_URL names
(else a throwaway SQLite file). Prints figures; asserts nothing.

    .venv/bin/python bench/imports.py [--rows 50000]

Memory is how far the process's resident set rose above where it was while each step ran (its
peak, VmHWM, reset before each step). The rows it adds are deleted at the end.
"""

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import django_setup, vendor
from bench.seed_values import luhn

FIRST = 894499000000000000  # ICCIDs of its own (18 digits and the check digit), apart from seeded ones
FIRST_NUMBER = 442079000000  # numbers of its own: +44 20 79…


def _name(n: int) -> str:
    """A name of letters only (a name has no digits), different for each n."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[r]
        if not n:
            return f"Customer {letters.capitalize()}"


def _status(field: str) -> float:
    """A line of /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def measured(what: str, step: Callable[[], object]) -> object:
    """Time a step, and how far its process's RSS rose above where it started (the peak, VmHWM,
    reset first through /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before, started = _status("VmRSS"), time.perf_counter()
    result = step()
    took = time.perf_counter() - started
    print(f"  {what:<52} {took:8.1f} s   RSS peak +{_status('VmHWM') - before:6.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp(prefix="mvnoadmin-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    try:
        django_setup()
        run(args.rows)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def run(rows: int) -> None:
    from django.contrib.auth.models import User
    from django.core.files.base import ContentFile
    from django.core.management import call_command

    from sims.models import Batch, GatewayRequest, GeographicNumber, Sim, SimEvent, Subscriber
    from sims.services import imports

    call_command("migrate", verbosity=0)
    print(f"database: {vendor()}; {rows:,} rows a file; {Sim.objects.count():,} SIMs there already; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    agent, _ = User.objects.get_or_create(username="bench-imports")
    iccids = [luhn(str(FIRST + n)) for n in range(rows)]
    stock = ("iccid,product code,batch\n" + "".join(f"{i},AQL-123,B{n // 1000}\n" for n, i in enumerate(iccids)))
    data = stock.encode()
    print(f"stock file: {len(data) / 2**20:.1f} MiB")
    preview = measured("stock: preview", lambda: imports.preview(lambda: io.BytesIO(data), imports.STOCK))
    assert preview.counts["new"] == rows, preview.counts
    measured("stock: add the SIMs (one transaction)", lambda: imports.stock_add(source=lambda: io.BytesIO(data),
                                                                                 actor=agent))
    GeographicNumber.objects.bulk_create((GeographicNumber(number=str(FIRST_NUMBER + n)) for n in range(rows)),
                                         batch_size=2000)
    activations = ("iccid,imei,number,name,address,postcode,contact\n" + "".join(
        f"{i},490154203237518,{'next free' if n % 2 else FIRST_NUMBER + n},{_name(n)},{n} Park Row,LS1 5AB,"
        f"07700 900123\n" for n, i in enumerate(iccids)))
    data = activations.encode()
    print(f"activation file: {len(data) / 2**20:.1f} MiB")
    upload = measured("activations: upload and preview", lambda: imports.upload_preview(
        file=ContentFile(data, name="bench.csv"), kind=imports.ACTIVATE, actor=agent))
    assert upload.preview["counts"]["ready"] == rows, (upload.preview["counts"], upload.preview["problems"][:3])

    def queue() -> "Batch":
        batch = imports.upload_confirm(upload_id=upload.pk, actor=agent)
        while imports.activations_queue(upload_id=upload.pk):
            pass
        batch.refresh_from_db()
        return batch

    batch = measured("activations: confirm, then the worker's steps queue them (a transaction a 500)", queue)
    assert batch.size == rows
    imports.upload_discard(upload_id=upload.pk, force=True)
    print(f"  RSS of this process now: {_status('VmRSS'):.0f} MiB")
    # what it added goes, so the database is as it was
    sims = Sim.objects.filter(iccid__in=iccids)
    SimEvent.objects.filter(request__batch=batch).delete()
    GeographicNumber.objects.filter(held_by__batch=batch).update(held_by=None)
    GatewayRequest.objects.filter(batch=batch).delete()
    batch.delete()
    subscribers = list(sims.exclude(subscriber=None).values_list("subscriber_id", flat=True))
    for start in range(0, len(iccids), 500):
        Sim.objects.filter(iccid__in=iccids[start:start + 500]).delete()
    for start in range(0, len(subscribers), 500):
        Subscriber.objects.filter(pk__in=subscribers[start:start + 500]).delete()
    GeographicNumber.objects.filter(number__gte=str(FIRST_NUMBER), number__lt=str(FIRST_NUMBER + rows)).delete()
    Batch.objects.filter(pk=batch.pk).delete()


if __name__ == "__main__":
    main()
