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
import html
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import worker
from bench.env import ROOT, database_url, django_setup

MEDIAN_TARGET, P95_TARGET = 100.0, 250.0  # ms, issue 14
# Admins defined here (users too: common/admin.py); those of django-axes, django-q2 and auth's
# groups are left out: their tables do not grow with SIMs.
OUR_APPS = ("common", "sims", "orders", "dashboard")
FLAG = "<< SLOW"


@dataclass
class Result:
    section: str
    label: str
    median: float
    p95: float
    queries: int
    runs: int
    sql: float  # ms the database took for the queries of one (warm) call
    note: str = ""

    @property
    def slow(self) -> bool:
        return self.median > MEDIAN_TARGET or self.p95 > P95_TARGET


class Bench:
    """Runs entries and prints a table as it goes; keeps the results for the summary."""

    def __init__(self, runs: int, budget: float) -> None:
        self.runs, self.budget, self.results, self.section = runs, budget, [], ""

    def heading(self, section: str) -> None:
        self.section = section
        print(f"\n{section:<72} {'median':>8} {'p95':>8} {'queries':>7} {'sql':>6}", flush=True)

    def time(self, label: str, call: Callable[[], object], before: Callable[[], None] | None = None,
             check: Callable[[object], str] | None = None) -> Result:
        """Time `call` (after `before`, untimed): a first call (not timed: it warms up and is checked),
        up to --runs timed calls, and a last one whose SQL is counted and timed."""
        try:
            first, answer, _, _ = counted(call, before)
        except Exception as exc:  # one broken entry must not stop the others
            print(f"{label:<72} failed: {type(exc).__name__}: {exc}", flush=True)
            return self.keep(Result(self.section, label, 0, 0, 0, 0, 0, f"failed: {type(exc).__name__}"))
        note = check(answer) if check else ""
        runs = self.runs if first * self.runs <= self.budget else max(3, int(self.budget / max(first, 1e-3)))
        durations = []
        for _ in range(runs):
            if before:
                before()
            started = time.perf_counter()
            call()
            durations.append((time.perf_counter() - started) * 1000)
        _, _, queries, sql = counted(call, before)
        durations.sort()
        p95 = durations[max(0, -(-len(durations) * 95 // 100) - 1)]  # nearest rank
        result = Result(self.section, label, statistics.median(durations), p95, queries, runs, sql, note)
        extra = [f"{runs} run{'s' * (runs > 1)}"] if runs != self.runs else []
        extra += [note] if note else []
        extra += [FLAG] if result.slow else []
        print(f"{label[:72]:<72} {result.median:8.1f} {result.p95:8.1f} {queries:7d} {sql:6.1f}  "
              f"{'  '.join(extra)}".rstrip(), flush=True)
        return self.keep(result)

    def keep(self, result: Result) -> Result:
        self.results.append(result)
        return result

    def page(self, client, label: str, url: str | None, before: Callable[[], None] | None = None) -> Result | None:
        if url is None:
            print(f"{label[:72]:<72} (the list ends before it)")
            return None
        return self.time(label, lambda: client.get(url), before=before, check=answer_note)


FETCHING = [0.0]  # seconds spent fetching rows from the database driver (see time_fetches)


def time_fetches() -> None:
    """Django's query log times each execute, but SQLite finds most rows only as they are fetched:
    time the fetches too (in this process only), so `sql` is the database's share on both."""
    from django.db.backends.utils import CursorWrapper

    def timed(name: str) -> Callable:
        def fetch(self, *args):
            started = time.perf_counter()
            try:
                return getattr(self.cursor, name)(*args)
            finally:
                FETCHING[0] += time.perf_counter() - started
        return fetch

    for name in ("fetchone", "fetchmany", "fetchall"):
        setattr(CursorWrapper, name, timed(name))


def counted(call: Callable[[], object], before: Callable[[], None] | None) -> tuple[float, object, int, float]:
    """One call with its SQL captured: (seconds, what it returned, queries, ms the database took)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    if before:
        before()
    reset_queries()  # as each request does (request_started): the count starts from 0 either way
    FETCHING[0] = 0.0
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        answer = call()
        took = time.perf_counter() - started
    executing = sum(float(q["time"]) for q in captured.captured_queries)
    return took, answer, len(captured), (executing + FETCHING[0]) * 1000


def answer_note(response) -> str:
    """Anything but a 200 is worth saying: a redirect or an error page is not the page."""
    if response.status_code == 200:
        return ""
    where = f" to {response['Location']}" if response.has_header("Location") else ""
    return f"HTTP {response.status_code}{where}"


# --- sample values: real rows of the seeded database ----------------------------------------

@dataclass
class Samples:
    sim: "object"  # an active SIM with a number and a subscriber
    unused_iccid: str
    in_flight_iccid: str
    unknown_request: int | None
    person: str
    order_ref: str
    sim_count: int


def samples() -> Samples:
    """Rows to search for and open, from the middle of the tables (not the first or last made)."""
    from orders.models import DespatchOrder
    from sims.models import GatewayRequest, Sim

    count = Sim.objects.count()
    middle = middle_pk(Sim) or 0
    sim = (Sim.objects.select_related("number", "subscriber")
           .filter(pk__gte=middle, state="active", number__isnull=False, subscriber__isnull=False).order_by("pk")
           .first())
    unused = Sim.objects.filter(pk__gte=middle, state="unused").order_by("pk").values_list("iccid", flat=True).first()
    in_flight = (GatewayRequest.objects.filter(state="pending").order_by("-created_at")
                 .values_list("sim__iccid", flat=True).first())
    unknown = (GatewayRequest.objects.filter(state="unknown").order_by("-created_at")
               .values_list("pk", flat=True).first())
    person = (GatewayRequest.objects.exclude(actor_name="system").order_by("-created_at")
              .values_list("actor_name", flat=True).first())
    order = DespatchOrder.objects.filter(state="despatched").order_by("-created_at").first()
    if None in (sim, unused, in_flight, person, order):
        raise SystemExit(f"{database_url()} does not look seeded: run bench/seed.py first")
    return Samples(sim, unused, in_flight, unknown, person, order.order_ref, count)


def national(number: str) -> str:
    """441134960123 -> '0113 496 0123'; 442079460123 -> '020 7946 0123' (as staff type them)."""
    d = "0" + number[2:]
    return f"{d[:3]} {d[3:7]} {d[7:]}" if d[1] == "2" else f"{d[:4]} {d[4:7]} {d[7:]}"


def user(username: str, *, role: str | None = None, superuser: bool = False):
    """A benchmark account: a Supervisor for the staff pages, a superuser for Django admin."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    account, made = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": superuser, "is_superuser": superuser})
    if made:
        account.set_unusable_password()
        account.save()
        if role:
            account.groups.add(Group.objects.get(name=role))
    return account


def signed_in(account):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")  # a host the settings allow
    client.force_login(account)
    return client


# --- the staff pages ------------------------------------------------------------------------

NEXT = re.compile(r'href="([^"]+)" rel="next"')


def following(client, url: str, pages: int) -> str | None:
    """The URL `pages` Next links on from `url`, reached as a person clicking Next would (untimed);
    None when the list ends first."""
    for _ in range(pages):
        found = NEXT.search(client.get(url).content.decode())
        if not found:
            return None
        link = html.unescape(found.group(1))
        url = url.split("?")[0] + link if link.startswith("?") else link
    return url


def deep_sim_page(sort: str, page: int) -> str | None:
    """The SIM list's page `page` sorted by `sort`, which no one clicks Next 9,999 times to reach:
    the list's own `seek` over the 51 rows ending there gives the Next token of the page before
    it. None when the list is shorter."""
    from common.paging import PAGE_SIZE, seek
    from sims.models import Sim
    from sims.selectors import SIM_SORTS

    order = SIM_SORTS[sort]
    end = (page - 1) * PAGE_SIZE  # rows before the page
    ids = list(Sim.objects.order_by(*order).values_list("pk", flat=True)[end - PAGE_SIZE:end + 1])
    if len(ids) <= PAGE_SIZE:
        return None
    return f"/sims/?{urlencode({'sort': sort, 'cursor': seek(Sim.objects.filter(pk__in=ids), order).next})}"

def staff_pages(bench: Bench, s: Samples) -> None:
    from django.core.cache import cache
    from django.utils import timezone

    from aql.usim import SERVICES
    from sims.lifecycle import Command, RequestState, SimState

    client = signed_in(user("bench-supervisor", role="Supervisor"))
    sim = s.sim
    iccid, number, name, postcode = sim.iccid, sim.number.number, sim.subscriber.name, sim.subscriber.postcode
    get = partial(bench.page, client)

    bench.heading(f"Staff pages ({s.sim_count:,} SIMs)")
    get("dashboard, counts cached", "/")
    get("dashboard, cache cleared before each", "/", before=cache.clear)

    get("SIM list", "/sims/")
    get("SIM list, page 2 (its Next link)", following(client, "/sims/", 1))
    for state in SimState.values:
        get(f"SIM list, state={state}", f"/sims/?state={state}")
    for service in SERVICES:
        get(f"SIM list, service={service}", f"/sims/?service={service}")
    for state, service in (("active", "mo_voice"), ("active", "int_roaming"), ("suspended", "int_calling"),
                           ("unused", "mo_sms")):
        get(f"SIM list, state={state} + service={service}", f"/sims/?state={state}&service={service}")
    for sort in ("updated", "iccid", "state"):
        get(f"SIM list, sort={sort}", f"/sims/?sort={sort}")
        for page in (100, 2_000, 10_000):
            get(f"SIM list, sort={sort}, page {page:,}", deep_sim_page(sort, page))
    get("SIM list, state=unused, sort=iccid", "/sims/?state=unused&sort=iccid")
    get("SIM list, state=active + mo_voice, sort=iccid", "/sims/?state=active&service=mo_voice&sort=iccid")
    get("SIM list, state=suspended, sort=state, page 100", following(client, "/sims/?state=suspended&sort=state", 99))
    for digits in (1, 4, 6):
        get(f"search: last {digits} digit{'s' * (digits > 1)} of an ICCID", f"/sims/?q={iccid[-digits:]}")
    get("search: last 4 digits, state=active", f"/sims/?q={iccid[-4:]}&state=active")
    get("search: a whole ICCID", f"/sims/?q={iccid}")
    get("search: a number, national (0113 496 0123)", f"/sims/?q={national(number)}")
    get("search: a number, international (+44 113 ...)", f"/sims/?q=%2B44 {national(number)[1:]}")
    get("search: a number, aql's form (44113...)", f"/sims/?q={number}")
    get("search: a subscriber's full name", f"/sims/?q={name}")
    get("search: a surname", f"/sims/?q={name.split()[-1]}")
    get("search: part of a name (4 letters)", f"/sims/?q={name.split()[-1][1:5]}")
    get("search: a name nobody has", "/sims/?q=Zebedee Quatermain")
    get("search: a postcode", f"/sims/?q={postcode}")
    get("search: a postcode, typed without its space", f"/sims/?q={postcode.replace(' ', '').lower()}")
    get("search: name + postcode (Wilson G41 5ZF)", f"/sims/?q={name.split()[-1]} {postcode}")
    get("search: postcode district (G41)", f"/sims/?q={postcode.split()[0]}")

    get("a SIM's page", f"/sims/{iccid}/")
    get("a SIM's page, a command in flight", f"/sims/{s.in_flight_iccid}/")
    get("activate form (an unused SIM)", f"/sims/{s.unused_iccid}/activate/")
    get("number form", f"/sims/{iccid}/number/")
    get("suspend: the confirmation page", f"/sims/{iccid}/suspend/")
    get("terminate form", f"/sims/{iccid}/deactivate/")
    get("add SIMs form", "/sims/add/")

    for who in ("staff", "system", "all"):
        get(f"requests, who={who}", f"/requests/?who={who}")
        for show in ("in_flight", "failed", "attention", "unknown"):
            get(f"requests, who={who}, {show}", f"/requests/?who={who}&show={show}")
    get("requests, page 2 (its Next link)", following(client, "/requests/", 1))
    get("requests, who=all, page 100", following(client, "/requests/?who=all", 99))
    get(f"requests, by a person ({s.person})", f"/requests/?who=all&person={s.person}")
    get("requests, by a person nobody is", "/requests/?who=all&person=nobody")
    for command in Command.values:
        get(f"requests, command={command}", f"/requests/?who=all&command={command}")
    for state in RequestState.values:
        get(f"requests, outcome={state}", f"/requests/?who=all&state={state}")
    today = timezone.localdate()
    for days in (1, 30, 365):
        since = (today - timedelta(days=days)).isoformat()
        get(f"requests, sent since {days} day{'s' * (days > 1)} ago", f"/requests/?who=all&since={since}")
    year_ago = (today - timedelta(days=365)).isoformat()
    get("requests, person + command + outcome + since",
        f"/requests/?who=all&person={s.person}&command=suspend&state=success&since={year_ago}")
    if s.unknown_request:
        get("settle an unknown outcome (the page)", f"/requests/{s.unknown_request}/resolve/")

    get("numbers", "/numbers/")
    get("numbers, available", "/numbers/?show=available")
    get("numbers, assigned", "/numbers/?show=assigned")
    get("numbers, page 100", following(client, "/numbers/", 99))
    get("numbers, starting 0113 2", "/numbers/?q=0113 2")
    get("numbers, available, starting +44 161", "/numbers/?show=available&q=%2B44 161")
    get("numbers, starting with a whole number", f"/numbers/?q={number}")

    get("orders", "/orders/")
    get("orders, open", "/orders/?state=open")
    for state in ("draft", "submitted", "processing", "despatched", "cancelled", "failed", "not_placed"):
        get(f"orders, state={state}", f"/orders/?state={state}")
    get("orders, page 2", following(client, "/orders/", 1))
    get("an order's page", f"/orders/{s.order_ref}/")
    get("new order form", "/orders/new/")
    get("stock", "/stock/")


# --- Django admin, found from the registry ---------------------------------------------------

def admin_searches(s: Samples) -> dict[str, list[tuple[str, str]]]:
    """Realistic search terms per model (what an admin would type); a model missing here is
    searched for 'a' and says so."""
    sim = s.sim
    name = sim.subscriber.name
    return {
        "sims.sim": [("last 6 digits of an ICCID", sim.iccid[-6:]), ("last 4 digits", sim.iccid[-4:]),
                     ("a whole ICCID", sim.iccid), ("a number, national", national(sim.number.number)),
                     ("a subscriber's name", name), ("a surname", name.split()[-1]),
                     ("a postcode", sim.subscriber.postcode)],
        "sims.geographicnumber": [("a whole number", sim.number.number), ("starting 0113 2", "0113 2")],
        "sims.subscriber": [("a full name", name), ("a surname", name.split()[-1]),
                            ("a postcode", sim.subscriber.postcode)],
        "sims.gatewayrequest": [("an ICCID", sim.iccid), ("an aql request id", str(_an_aql_id()))],
        "sims.simevent": [("an ICCID", sim.iccid)],
        "orders.despatchorder": [("an order reference", s.order_ref), ("a surname", name.split()[-1]),
                                 ("a postcode", sim.subscriber.postcode), ("an ICCID", sim.iccid)],
        "orders.product": [("a product code", "AQL-123")],
        "common.auditevent": [("a username", s.person)],
        "auth.user": [("a username", s.person)],
    }


def _an_aql_id() -> int:
    from sims.models import GatewayRequest

    return GatewayRequest.objects.filter(aql_id__isnull=False).order_by("-created_at").values_list(
        "aql_id", flat=True).first() or 0


def middle_pk(model) -> int | None:
    """The id of a row halfway through the table, by id (none of the first or last made)."""
    from django.db.models import Max, Min

    ends = model._default_manager.aggregate(low=Min("pk"), high=Max("pk"))
    if ends["low"] is None:
        return None
    return model._default_manager.filter(pk__gte=(ends["low"] + ends["high"]) // 2).order_by("pk").values_list(
        "pk", flat=True).first()


def admin_pages(bench: Bench, s: Samples) -> None:
    from django.contrib import admin
    from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
    from django.core.cache import cache
    from django.db.models import Max
    from django.test import RequestFactory
    from django.urls import reverse
    from django.utils import timezone

    superuser = user("bench-admin", superuser=True)
    client = signed_in(superuser)
    searches = admin_searches(s)
    get = partial(bench.page, client)

    bench.heading(f"Django admin ({s.sim_count:,} SIMs)")
    get("admin index", reverse("admin:index"))
    ours = [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if type(model_admin).__module__.split(".")[0] in OUR_APPS]
    for model, model_admin in sorted(ours, key=lambda item: item[0]._meta.label_lower):
        meta = model._meta
        name = meta.verbose_name_plural
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = superuser
        changelist = model_admin.get_changelist_instance(request)
        get(f"{name}: list", url)
        if model_admin.paginator is not admin.ModelAdmin.paginator or meta.label_lower == "sims.sim":
            get(f"{name}: list, count cache cleared before each", url, before=cache.clear)
        pages = changelist.paginator.num_pages  # as the admin counts them (it may stop counting)
        if pages >= 100:
            get(f"{name}: page 100", f"{url}?{PAGE_VAR}=100")
        if pages > 1:
            get(f"{name}: the last page it offers ({pages:,})", f"{url}?{PAGE_VAR}={pages}")
        for spec in changelist.filter_specs:
            for option in spec.choices(changelist):
                query = option["query_string"]
                if option["selected"]:
                    continue  # "All": the plain list (the changelist was made without filters)
                get(f"{name}: filter {spec.title} = {option['display']}", url + query)
        if hierarchy := model_admin.date_hierarchy:  # the date links above the list, down to a day
            latest = timezone.localtime(model._default_manager.aggregate(latest=Max(hierarchy))["latest"])
            drill = f"{hierarchy}__year={latest.year}"
            for level, more in (("year", ""), ("month", f"&{hierarchy}__month={latest.month}"),
                                ("day", f"&{hierarchy}__month={latest.month}&{hierarchy}__day={latest.day}")):
                get(f"{name}: {hierarchy} by {level}", f"{url}?{drill}{more}")
        for index, field in enumerate(changelist.list_display):
            if changelist.get_ordering_field(field) is None:
                continue
            label = getattr(getattr(model_admin, field, None), "short_description", field)
            for direction, sign in (("ascending", ""), ("descending", "-")):
                get(f"{name}: sort by {label}, {direction}", f"{url}?{ORDER_VAR}={sign}{index}")
        if model_admin.get_search_fields(request):
            for label, term in searches.get(meta.label_lower, [("'a' (no realistic term known)", "a")]):
                get(f"{name}: search {label}", f"{url}?{urlencode({SEARCH_VAR: term})}")
        sample = s.sim.pk if meta.label_lower == "sims.sim" else middle_pk(model)
        if sample is not None and model_admin.has_view_permission(request):
            get(f"{name}: a change page", reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[sample]))


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


def summary(bench: Bench) -> None:
    slow = sorted((r for r in bench.results if r.slow), key=lambda r: r.median, reverse=True)
    failed = [r for r in bench.results if r.note]
    print(f"\n{len(bench.results)} entries; {len(slow)} over {MEDIAN_TARGET:.0f} ms median or {P95_TARGET:.0f} ms p95:")
    for r in slow:
        print(f"  {r.section.split(' (')[0]}: {r.label[:60]:<60} {r.median:8.1f} {r.p95:8.1f} {r.queries:7d} "
              f"{r.sql:6.1f}")
    for r in failed:
        print(f"  not a plain answer: {r.section.split(' (')[0]}: {r.label} ({r.note})")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed calls an entry (default 20)")
    parser.add_argument("--budget", type=float, default=30, help="seconds an entry may take before it gets fewer runs")
    parser.add_argument("--throwaway", type=int, metavar="SIMS",
                        help="seed a temporary SQLite database with SIMS SIMs first, and delete it at the end")
    parser.add_argument("--only", default="pages,admin,worker", help="any of pages,admin,worker (default: all)")
    parser.add_argument("--worker-requests", type=int, help="requests due at once in the worker run "
                        "(default: a tenth of the SIMs, at most 10,000)")
    parser.add_argument("--worker-mode", choices=("cluster", "passes"), default="cluster",
                        help="cluster: a real `manage.py qcluster` (default); passes: sims.tasks.poll_pass one at a "
                        "time in one process")
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
    bench = Bench(args.runs, args.budget)
    parts = set(args.only.split(","))
    if "pages" in parts:
        staff_pages(bench, s)
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
