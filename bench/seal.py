"""The audit trail's seal at size: how long sealing and verifying every event takes, and what the seals weigh.

    .venv/bin/python bench/seal.py --throwaway 100000      # seed a temporary SQLite database first
    DATABASE_URL=postgres://... .venv/bin/python bench/seal.py   # a database bench/seed.py filled

Any existing seals are deleted first (the run seals everything from scratch); the seed's events are
all older than the margin. Printed: rows sealed a second, rows verified a second, the seals' size,
and the time one seal pass takes with nothing new to seal (what the worker pays every five minutes).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import django_setup, vendor


def run() -> None:
    from ops.models import Seal, SealCheck
    from ops.seal import trail_seal, trail_verify

    Seal.objects.all().delete()
    SealCheck.objects.all().delete()
    started = time.perf_counter()
    sealed = trail_seal(margin=0)
    took = time.perf_counter() - started
    rows = sum(s.rows for s in sealed)
    print(f"{vendor()}: sealed {rows:,} rows in {took:.1f} s ({rows / took:,.0f} rows/s), "
          f"{sum(s.links for s in sealed):,} links")
    for s in sealed:
        print(f"  {s.label:<20} {s.rows:>12,} rows")
    size = sum(len(bytes(e)) for e in Seal.objects.values_list("entries", flat=True).iterator())
    print(f"seals' entries: {size / 1e6:.1f} MB ({size / max(rows, 1):.1f} bytes a row)")
    started = time.perf_counter()
    trail_seal(margin=0)
    print(f"a seal pass with nothing new: {1000 * (time.perf_counter() - started):.1f} ms")
    started = time.perf_counter()
    report = trail_verify()
    took = time.perf_counter() - started
    checked = sum(t.sealed for t in report.tables)
    print(f"verified {checked:,} rows in {took:.1f} s ({checked / took:,.0f} rows/s): "
          f"{'matched' if report.matched else report.words()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--throwaway", type=int, metavar="SIMS",
                        help="seed a temporary SQLite database with SIMS SIMs first, and delete it at the end")
    args = parser.parse_args()
    scratch = None
    if args.throwaway:
        scratch = tempfile.mkdtemp(prefix="mvnoadmin-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    try:
        django_setup()
        if args.throwaway:
            from django.core.management import call_command

            from bench.seed import seed

            call_command("migrate", verbosity=0)
            started = time.perf_counter()
            seed(sims=args.throwaway, quiet=True)
            print(f"seeded {args.throwaway:,} SIMs in {time.perf_counter() - started:.1f} s")
        run()
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
