"""What bench/measure.py prints around the figures: the header (database, commit, machine) and the summary."""

import argparse
import os
import subprocess
import sys

from bench.env import ROOT, database_url
from bench.measure_timing import MEDIAN_TARGET, P95_TARGET, Bench

PAIRED_LIMIT = 2.0  # issue 30: no entry above twice the SIM list's first page


def summary(bench: Bench) -> None:
    slow = sorted((r for r in bench.results if r.slow), key=lambda r: r.median, reverse=True)
    failed = [r for r in bench.results if r.note]
    print(f"\n{len(bench.results)} entries; {len(slow)} over {MEDIAN_TARGET:.0f} ms median or {P95_TARGET:.0f} ms p95:")
    for r in slow:
        print(f"  {r.section.split(' (')[0]}: {r.label[:60]:<60} {r.median:8.1f} {r.p95:8.1f} {r.queries:7d} "
              f"{r.sql:6.1f}")
    for r in failed:
        print(f"  not a plain answer: {r.section.split(' (')[0]}: {r.label} ({r.note})")
    paired = [r for r in bench.results if r.ratio is not None]
    if paired:
        over = sorted((r for r in paired if r.ratio > PAIRED_LIMIT), key=lambda r: r.ratio, reverse=True)
        print(f"\npaired with the SIM list's first page: {len(over)} of {len(paired)} entries over {PAIRED_LIMIT:g}x")
        for r in over:
            print(f"  {r.section.split(' (')[0]}: {r.label[:60]:<60} {r.ratio:6.2f}x  {r.median:8.1f} ms  "
                  f"sql {r.sql:6.1f} ms")


def git(*args: str) -> str:
    """What git says about this checkout (the commit measured)."""
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,  # noqa: S603, S607
                          check=False).stdout.strip()


def header(args: argparse.Namespace) -> None:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    commit, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    print(f"database: {connection.vendor} {version} ({database_url().split('@')[-1]})")
    print(f"commit {commit}{' + uncommitted changes' if dirty else ''}; Django {django.get_version()}; "
          f"Python {sys.version.split()[0]}; {os.cpu_count()} cores; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; {args.runs} timed run{'s' * (args.runs > 1)} an entry")
