"""Fill a benchmark database with a reseller's world of N SIMs, fast.

    .venv/bin/python bench/seed.py --sims 100000       # into var/bench.sqlite3 (made afresh)
    DATABASE_URL=postgres://postgres@127.0.0.1:54329/mvnoadmin .venv/bin/python bench/seed.py --sims 1000000

The database is the one DATABASE_URL names in the environment, else `var/bench.sqlite3`
(bench/env.py). It runs `migrate`, refuses a database that already has SIMs (`--replace`
empties it first: the SQLite file is deleted, PostgreSQL's public schema dropped), then
writes rows straight into the tables, a chunk of SIMs per transaction: SQLite by
executemany with `PRAGMA synchronous=OFF` on this connection only, PostgreSQL by COPY.
Test data, not a path under test, so nothing goes through the services; but every row is
one the services could have written: each SIM has a story (added, activated, services
changed, suspended, terminated...) whose requests, audit events, number and subscriber agree
with its state. Roughly, per SIM: 70% active, 8% suspended, 14% unused, 7% terminated, 1%
activating; 2-3 journal rows and 3-4 audit events; 1.5% with a command in flight (some
unknown, some needing attention); the system's drift checks beside staff's commands.
Plus despatch orders (4% of SIMs came by one), staff accounts in their roles, the general
audit trail, and 90 days of stock levels for four product codes.

PostgreSQL is vacuumed and analysed at the end, as autovacuum would soon do after a bulk
load; SQLite is not analysed, as the app never runs ANALYZE on it.
"""

import argparse
import random
import sys
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import database_url, django_setup
from bench.seed_tables import WRITE_ORDER, bare_tables
from bench.seed_values import FIRST_NAMES, LAST_NAMES, ROLES
from bench.seed_world import World

CHUNK = 20_000  # SIMs a transaction


def empty_database() -> None:
    """--replace: start from nothing (a deleted SQLite file, or PostgreSQL's public schema dropped)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{connection.settings_dict['NAME']}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")


def make_staff(count: int, rng: random.Random) -> list[tuple[int, str]]:
    """`count` staff accounts in the roles the migrations made (no usable password: nobody signs in as them)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    groups = {group.name: group for group in Group.objects.all()}
    names: set[str] = set()
    users, roles = [], []
    while len(users) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first}.{last}".lower().replace("'", "")
        if username in names:
            continue
        names.add(username)
        role = rng.choices([r for r, _ in ROLES], weights=[w for _, w in ROLES])[0]
        users.append(user_model(username=username, first_name=first, last_name=last, email=f"{username}@example.org",
                                password=make_password(None), is_staff=role == "Admin"))
        roles.append(role)
    users = user_model.objects.bulk_create(users)
    membership = user_model.groups.through
    membership.objects.bulk_create(membership(user_id=user.pk, group_id=groups[role].pk)
                                   for user, role in zip(users, roles, strict=True) if role in groups)
    return [(user.pk, user.username) for user in users]


def flush(world: World, cursor, postgres: bool, tables: Iterable[str] = WRITE_ORDER) -> dict[str, int]:
    return {name: world.t[name].write(cursor, postgres) for name in tables}


def seed(*, sims: int, seed_value: int = 14, quiet: bool = False) -> dict[str, int]:
    """Fill the (migrated, empty) database with `sims` SIMs' world; returns rows written per table."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from common.roles import system_user
    from sims.models import Sim

    if Sim.objects.exists():
        raise SystemExit(f"{database_url()} already has SIMs: seed an empty database, or pass --replace")
    postgres = connection.vendor == "postgresql"
    rng = random.Random(seed_value)
    staff = make_staff(max(12, min(300, sims // 4000)), rng)
    world = World(sims=sims, seed=seed_value, postgres=postgres, staff=staff, system_id=system_user().pk)
    started, written = time.perf_counter(), dict.fromkeys(WRITE_ORDER, 0)
    if not postgres:
        with connection.cursor() as cursor:  # for this connection only: a crash mid-seed loses a throwaway file
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB: the indexes take random inserts
            # Checked once at the end instead of row by row (twice as fast); PostgreSQL checks at each commit.
            cursor.execute("PRAGMA foreign_keys=OFF")
    with bare_tables([world.t[name].model._meta.db_table for name in WRITE_ORDER]):
        for first in range(0, sims, CHUNK):
            world.chunk(first, min(first + CHUNK, sims))
            if first + CHUNK >= sims:
                world.stock()
            with transaction.atomic():
                cursor = connection.cursor() if postgres else connection.connection.cursor()
                for name, n in flush(world, cursor, postgres).items():
                    written[name] += n
            if not quiet:
                done = min(first + CHUNK, sims)
                print(f"  {done:>9,} SIMs  {time.perf_counter() - started:6.1f} s", flush=True)
    from django.apps import apps

    with connection.cursor() as cursor:
        if postgres:  # ids were given here: the sequences must carry on after them
            models = [apps.get_model(label) for label in (
                "sims.GeographicNumber", "sims.Subscriber", "sims.Sim", "sims.GatewayRequest", "sims.SimEvent",
                "orders.DespatchOrder", "orders.OrderEvent", "orders.Product", "orders.StockLevel",
                "common.AuditEvent")]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        else:
            cursor.execute("PRAGMA foreign_key_check")
            if broken := cursor.fetchall():
                raise SystemExit(f"seeded rows break foreign keys, e.g. {broken[:5]}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
    from orders.services import keep_trends

    keep_trends()  # as the worker's stock check leaves them: each product's sparkline kept with its newest snapshot
    if postgres:  # as autovacuum soon would after a bulk load: visibility map and statistics
        connection.ensure_connection()
        autocommit = connection.connection.autocommit
        connection.connection.autocommit = True  # VACUUM refuses to run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        connection.connection.autocommit = autocommit
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return written


def database_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        size = cursor.fetchone()[0]
    return f"{size / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", type=int, required=True, help="how many SIMs (e.g. 10000, 100000, 1000000)")
    parser.add_argument("--seed", type=int, default=14, help="the random seed: the same seed, the same world")
    parser.add_argument("--replace", action="store_true", help="empty the database first (all its data is lost)")
    args = parser.parse_args()
    django_setup()
    from django.core.management import call_command

    if args.replace:
        empty_database()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"{database_url()}: migrated in {time.perf_counter() - started:.1f} s; seeding {args.sims:,} SIMs")
    started = time.perf_counter()
    written = seed(sims=args.sims, seed_value=args.seed)
    took = time.perf_counter() - started
    print(f"seeded in {took:.1f} s ({took / 60:.1f} min), {database_size()}:")
    print("  " + ", ".join(f"{name} {n:,}" for name, n in written.items()))


if __name__ == "__main__":
    main()
