"""How fast every staff page, every Django admin list and the worker are on a seeded database.

    make bench                                             # 10,000 SIMs in a throwaway SQLite database
    .venv/bin/python bench/measure.py --throwaway 100000   # the same with 100,000
    .venv/bin/python bench/seed.py --sims 1000000 --replace && .venv/bin/python bench/measure.py
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/mvnoadmin .venv/bin/python bench/measure.py
    bench/full.sh 1000000                                  # seed and measure both databases (docs/BENCHMARKS.md)

It measures the database DATABASE_URL names (else `var/bench.sqlite3`), filled by
`bench/seed.py`. Every entry is a GET through Django's test client, signed in: the staff
pages as a Supervisor, Django admin as a superuser. The first call of each is not timed (it
warms up, and is checked to be a 200); then --runs timed calls give the median and the 95th
percentile in milliseconds; a last call gives the number of SQL queries and the milliseconds
the database took for them (`sql`, executing and fetching: the rest is Python, mostly
templates). An entry slower than the targets of issue 14 (100 ms median, 250 ms p95) is
flagged `<< SLOW`; one whose first call took longer than --budget / --runs gets fewer runs
(shown), so a million SIMs still finish.

The staff pages are listed here from the views and their filter forms; a deep page of a list
is reached by its Next links, or, for the SIM list's pages 100 to 10,000, by a token the
list's own `seek` makes. The admin entries are found, not listed: every changelist of our
apps' admins, each choice of each of its filters (as the sidebar links them), each sortable
column both ways, page 100 and the last page it offers, the date drill-down, a change page,
and searches with realistic terms (`admin_searches`). The worker part: the SQL queries of an
idle polling pass and of a follower's look, then a run of --worker-requests requests due at
once against the aql simulator with 50 ms latency and AQL_MAX_CONCURRENCY=4 (bench/worker.py).

Before the worker part, requests and orders the seed left due soon are moved a day ahead, and
the pruning of the seed's old drift checks too (a backlog a running system never has), so the
worker sees only its own; the run's SIMs are deleted afterwards. Nothing else is
changed, but sessions, admin count caches and the benchmark's two accounts, as signing in
and the pages themselves do. It stops if the database lacks migrations the code has.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import worker
from bench.env import database_url, django_setup
from bench.measure_admin import admin_pages
from bench.measure_pages import staff_pages
from bench.measure_report import header, summary
from bench.measure_reports import reports_pages
from bench.measure_samples import samples
from bench.measure_timing import Bench, time_fetches

# --- the worker ---------------------------------------------------------------------------

def idle_pass(bench: Bench) -> None:
    """The SQL of a polling pass with nothing due: the price of the worker looking."""
    from django.test import override_settings
    from django.utils.module_loading import import_string

    bench.heading("Worker, nothing due")
    worker.push_seeded_work_ahead()
    # The polling pass (also `manage.py poll --once`), and a follower that starts, looks once at
    # each kind of work and stops: what the worker costs the database every second it waits.
    # ...and the drift sweep's look for its next SIMs (a read; the take then marks them), made at
    # every free slot while it sweeps: the seed leaves a day-long sweep's order behind it.
    for label, path, arguments in (("sims.tasks.poll_pass(), nothing due", "sims.tasks.poll_pass", {}),
                                   ("ops.worker.follow(span=0), nothing due", "ops.worker.follow",
                                    {"span": 0}),
                                   ("drift: the next 8 SIMs to compare (sims_due_for_drift_check)",
                                    "sims.services.followup.sims_due_for_drift_check", {"limit": 8})):
        try:
            task = import_string(path)
        except ImportError:
            print(f"{label:<72} not found (renamed?)")
            continue
        # Drift off: the sweep would find SIMs due (and call aql, which is not there); its look is timed on its own.
        with override_settings(AQL_DRIFT_PER_HOUR=0):
            bench.time(label, partial(task, **arguments))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed calls an entry (default 20)")
    parser.add_argument("--budget", type=float, default=30, help="seconds an entry may take before it gets fewer runs")
    parser.add_argument("--throwaway", type=int, metavar="SIMS",
                        help="seed a temporary SQLite database with SIMS SIMs first, and delete it at the end")
    parser.add_argument("--only", default="pages,reports,admin,worker",
                        help="any of pages,reports,admin,worker (default: all)")
    parser.add_argument("--worker-requests", type=int, help="requests due at once in the worker run "
                        "(default: a tenth of the SIMs, at most 10,000)")
    parser.add_argument("--worker-mode", choices=("cluster", "passes"), default="cluster",
                        help="cluster: a real `manage.py qcluster` (default); passes: sims.tasks.poll_pass one at a "
                        "time in one process")
    parser.add_argument("--paired", action="store_true", help="time the SIM list's first page after each run of "
                        "every entry and print each entry's median as a ratio to it (issue 30)")
    parser.add_argument("--worker-child", help=argparse.SUPPRESS)  # bench/worker.py runs itself through here
    args = parser.parse_args()
    if args.worker_child:
        worker.child(args.worker_child)
        return
    scratch = None
    if args.throwaway:
        scratch = tempfile.mkdtemp(prefix="mvnoadmin-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    simulator = worker.Simulator.start()
    try:
        django_setup(**simulator.settings())
        if args.throwaway:
            from django.core.management import call_command

            from bench.seed import seed

            call_command("migrate", verbosity=0)
            started = time.perf_counter()
            seed(sims=args.throwaway, quiet=True)
            print(f"seeded {args.throwaway:,} SIMs in {time.perf_counter() - started:.1f} s")
        run(args, simulator)
    finally:
        simulator.stop()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def unapplied_migrations() -> list[str]:
    """Migrations the code has and the database has not (the code moved on since it was seeded)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def run(args: argparse.Namespace, simulator: "worker.Simulator") -> None:
    started = time.perf_counter()
    if missing := unapplied_migrations():
        raise SystemExit(f"{database_url()} lacks migrations {', '.join(missing)}: seed it again "
                         "(bench/seed.py --replace), or migrate it")
    time_fetches()
    header(args)
    s = samples()
    reference = None
    if args.paired:
        from bench.measure_samples import signed_in, user

        reference_client = signed_in(user("bench-supervisor", role="Supervisor"))
        reference = lambda: reference_client.get("/sims/")  # noqa: E731
    bench = Bench(args.runs, args.budget, reference)
    parts = set(args.only.split(","))
    if "pages" in parts:
        staff_pages(bench, s)
    if "reports" in parts:
        reports_pages(bench, s)
    if "admin" in parts:
        admin_pages(bench, s)
    if "worker" in parts:
        idle_pass(bench)
    summary(bench)
    if "worker" in parts and (missing := unapplied_migrations()):  # a worker started now runs the new code
        print(f"\nWorker run skipped: the code changed while measuring (migrations {', '.join(missing)})")
    elif "worker" in parts:
        count = args.worker_requests or min(10_000, max(100, s.sim_count // 10))
        worker.run(simulator, count=count, mode=args.worker_mode)
    print(f"\nmeasured in {(time.perf_counter() - started) / 60:.1f} min; load average now "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
