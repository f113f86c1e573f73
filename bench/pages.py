"""How fast the staff pages and the worker's claim stay with many SIMs. Prints figures; asserts nothing.

    make bench                      # 100,000 SIMs in a throwaway SQLite database
    SIMS=1000000 make bench         # a reseller's million
    DATABASE_URL=postgres://... .venv/bin/python bench/pages.py --sims 100000

Each figure is the median of several runs, in milliseconds, with the number of SQL queries.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sims", type=int, default=int(os.environ.get("SIMS", 100_000)))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mvnoadmin.settings")
    os.environ["DEBUG"] = "true"  # keeps whitenoise quiet; query timing does not depend on it

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    fill(args.sims)
    measure(args.runs, args.sims)


def fill(count: int) -> None:
    """`count` SIMs: half active with a number and a subscriber, some requests in flight."""
    from django.utils import timezone

    from sims.models import GatewayRequest, GeographicNumber, RequestState, Sim, Subscriber

    started = time.perf_counter()
    batch = 5000
    first = 8944000000000000000
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        numbers = GeographicNumber.objects.bulk_create(
            GeographicNumber(number=str(441130000000 + offset + n)) for n in range(0, size, 2))
        people = Subscriber.objects.bulk_create(
            Subscriber(name=f"Customer {offset + n}", address="1 Road, Leeds", postcode=f"LS{n % 30} 1AA",
                       contact_number="447700900123") for n in range(0, size, 2))
        sims = []
        for n in range(size):
            iccid = str(first + offset + n)
            active = n % 2 == 0
            sims.append(Sim(iccid=iccid, iccid_reversed=iccid[::-1], state="active" if active else "unused",
                            number=numbers[n // 2] if active else None, subscriber=people[n // 2] if active else None,
                            mo_voice=active, mt_voice=active))
        Sim.objects.bulk_create(sims)
    in_flight = list(Sim.objects.filter(state="active").values_list("pk", flat=True)[:2000])
    GatewayRequest.objects.bulk_create(
        GatewayRequest(sim_id=pk, command="suspend", state=RequestState.PENDING, state_before="active",
                       aql_id=pk, next_poll_at=timezone.now()) for pk in in_flight)
    print(f"filled {count:,} SIMs and {len(in_flight):,} requests in flight in {time.perf_counter() - started:.1f} s")


def timed(label: str, runs: int, call) -> None:
    from django.db import connection, reset_queries

    durations = []
    for _ in range(runs):
        reset_queries()
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
    print(f"{label:<52} {statistics.median(durations):8.1f} ms  {len(connection.queries):3d} queries")


def measure(runs: int, count: int) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import override_settings

    from sims import selectors, services
    from sims.models import GatewayRequest, RequestState

    settings.DEBUG = True  # record queries
    staff = get_user_model().objects.create_user("bench")
    client = Client()
    client.force_login(staff)
    last_iccid = str(8944000000000000000 + count - 1)

    def get(url: str):
        return lambda: client.get(url)

    print(f"\n{'with ' + format(count, ',') + ' SIMs':<52} {'median':>8}     queries")
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        timed("SIM list, first page (page)", runs, get("/sims/"))
        timed("SIM list, page 100 (page)", runs, get("/sims/?page=100"))
        timed("search: last 6 digits of an ICCID (page)", runs, get(f"/sims/?q={last_iccid[-6:]}"))
        timed("search: a whole ICCID (page)", runs, get(f"/sims/?q={last_iccid}"))
        timed("search: a geographic number (page)", runs, get("/sims/?q=441130000002"))
        timed("search: a subscriber's name (page)", runs, get("/sims/?q=Customer 4242"))
        timed("filter: active with outgoing calls (page)", runs, get("/sims/?state=active&service=mo_voice"))
        timed("a SIM's page", runs, get(f"/sims/{last_iccid}/"))
        timed("requests in flight (page)", runs, get("/requests/?show=in_flight"))
        timed("dashboard, counts cached (page)", runs, get("/"))

        def cold_dashboard():
            cache.clear()
            client.get("/")

        timed("dashboard, counts recounted (page)", runs, cold_dashboard)
        timed("SIMs by state: the GROUP BY behind it", runs, selectors.state_counts)

    def claim_and_release():
        ids = services.request_claim_due(limit=16, lease=60)
        GatewayRequest.objects.filter(pk__in=ids).update(next_poll_at=GatewayRequest.objects.first().created_at)

    timed("worker: claim 16 due requests of 2,000 in flight", runs, claim_and_release)
    assert GatewayRequest.objects.filter(state=RequestState.PENDING).count() == 2000


if __name__ == "__main__":
    main()
