"""Shared fixtures: the aql simulator served over real loopback HTTP, and clients pointed at it."""

import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from wsgiref.types import WSGIApplication

import pytest
from stdnum import luhn

from access.policy import must_have_second_factor
from aql.despatch import DespatchClient
from aql.fake import DESPATCH_PATH, USIM_PATH, Account, FakeAql, Faults, start_in_thread
from aql.usim import SERVICES, UsimClient
from ops import gateway
from sims.lifecycle import SimState
from sims.models import GeographicNumber, Sim
from sims.services import number_add, sim_add

VAR = Path(__file__).resolve().parent.parent / "var"


def pytest_configure(config: pytest.Config) -> None:
    # The SQLite test database is a file (a real worker process must share it), one per test
    # run so that two runs on one machine keep apart. Django replaces the file but not a WAL
    # left by an interrupted run, which would make it unreadable: clear those of dead runs.
    VAR.mkdir(exist_ok=True)
    for leftover in VAR.glob("test-*.sqlite3*"):
        pid = leftover.name.split("-")[1].split(".")[0]
        if not pid.isdigit() or not Path(f"/proc/{pid}").exists():
            leftover.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """pytest-django's hook for naming the test database: each xdist worker its own (pytest-django's
    suffix: test_mvnoadmin_gw0, _gw1 on PostgreSQL, which this override would otherwise drop), and on
    SQLite this process's own file."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db["TEST"]["NAME"] = str(VAR / f"test-{os.getpid()}.sqlite3")


@pytest.fixture(autouse=True)
def _one_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests marked `one_at_a_time("name")` share something outside the test database (bin/demo's
    var/demo.sqlite3, staticfiles/): a lock file per name keeps them apart across pytest-xdist's
    workers, and across test runs in one checkout. (Not xdist_group: pytest-xdist 3.8 cannot group
    tests under pytest 9.2, which no longer reads the node id xdist rewrites.)"""
    mark = request.node.get_closest_marker("one_at_a_time")
    if mark is None:
        yield
        return
    with (VAR / f"one-at-a-time-{mark.args[0]}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits while another worker's test holds it; let go on close
        yield


USERNAME = "demo"
PASSWORD = "s3cret-Pa55word"  # distinctive, so a leak is easy to find


@dataclass
class Simulator:
    fake: FakeAql
    base_url: str

    @property
    def usim_url(self) -> str:
        return self.base_url + USIM_PATH

    @property
    def despatch_url(self) -> str:
        return self.base_url + DESPATCH_PATH


@pytest.fixture
def serve() -> Iterator[Callable[[WSGIApplication], str]]:
    """Serve any WSGI app on a free loopback port for the test; returns its base URL."""
    servers = []

    def start(app: WSGIApplication) -> str:
        server, base_url = start_in_thread(app)  # type: ignore[arg-type]
        servers.append(server)
        return base_url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def aqlsim(serve: Callable[[WSGIApplication], str]) -> Simulator:
    """A fresh simulator with our test account, over HTTP."""
    fake = FakeAql(Account(username=USERNAME, password=PASSWORD), Faults(seed=1))
    return Simulator(fake, serve(fake))


@pytest.fixture
def usim(aqlsim: Simulator) -> UsimClient:
    return UsimClient(url=aqlsim.usim_url, username=USERNAME, password=PASSWORD, timeout=2)


@pytest.fixture
def despatch(aqlsim: Simulator) -> DespatchClient:
    return DespatchClient(url=aqlsim.despatch_url, username=USERNAME, password=PASSWORD, timeout=2)


@pytest.fixture
def staff(django_user_model):
    """A member of staff trusted with everything the staff site does (the Supervisor role)."""
    return member_of("Supervisor", "agent", django_user_model)


@pytest.fixture
def agent(client, staff):
    """The test client, signed in as a member of staff who may do everything a page offers."""
    client.force_login(staff)
    return client


def member_of(role: str, username: str, user_model=None):
    """A user in one of the roles the migrations made (Observer, Customer service, Supervisor, Admin)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    if not Group.objects.filter(name=role).exists():  # a transactional test's flush removed what migrate made
        _run_migration("common.migrations.0003_roles", "make_roles")
        _run_migration("sims.migrations.0045_roles_see_replacements", "give")  # and what later ones gave
        _run_migration("reports.migrations.0002_rollup_schedule_and_roles", "give")
    user = (user_model or get_user_model()).objects.create_user(username, password=f"pw-{username}-123")
    user.groups.add(Group.objects.get(name=role))
    if must_have_second_factor(user):
        enrol_totp(user)  # as a Supervisor or Admin is before they can do anything (access.middleware)
    return user


def enrol_totp(user) -> str:
    """Enrol an authenticator app for `user` as allauth's own enrolment page does: its secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(user) -> str:
    """The code `user`'s authenticator app shows now (allauth's own TOTP, with the secret it stored)."""
    import time

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    secret = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    left = 30 - time.time() % 30
    if left < 3:  # allauth takes this half-minute's code only: one read at its very end may be checked in the next
        time.sleep(left + 0.05)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


@pytest.fixture(autouse=True)
def _test_client_sign_ins_give_the_second_factor() -> Iterator[None]:
    """`client.force_login` and `client.login` skip allauth's sign-in steps: for a role that must have a
    second factor, record what a real sign-in would have (an enrolled authenticator app, its code
    given in this session), so the tests of everything else are not all sent to enrol. Tests of the
    door itself sign in through the pages (tests/access, tests/browser)."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.signals import user_logged_in
    from django.http import HttpRequest

    def given(sender, request, user, **kwargs) -> None:
        if type(request) is not HttpRequest or not must_have_second_factor(user):
            return  # a real request: allauth's own steps record what was given
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            enrol_totp(user)
            totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(request, user, "password", username=user.get_username())
        record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)

    user_logged_in.connect(given, dispatch_uid="tests-second-factor")
    yield
    user_logged_in.disconnect(dispatch_uid="tests-second-factor")


def _run_migration(module: str, function: str) -> None:
    import importlib

    from django.apps import apps

    getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def aql_settings(settings, aqlsim: Simulator) -> Iterator[Simulator]:
    """Point the configured gateway (what the app and CLI use) at the simulator."""
    settings.AQL_USERNAME = USERNAME
    settings.AQL_PASSWORD = PASSWORD
    settings.AQL_USIM_URL = aqlsim.usim_url
    settings.AQL_DESPATCH_URL = aqlsim.despatch_url
    settings.AQL_TIMEOUT = 2
    gateway.reset()
    yield aqlsim
    gateway.reset()


@pytest.fixture(autouse=True)
def _media_of_its_own(settings, tmp_path) -> None:
    """Uploaded files go to the test's own directory, not var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _a_cache_of_its_own() -> None:
    """Each test starts with this process's cache empty: what one test's world left there (a stock trend
    drawn for snapshot 7, say) is not another's, whose snapshot 7 may be another."""
    from django.core.cache import cache

    from reports import selectors

    cache.clear()
    selectors._kept.clear()  # the reports kept for a roll-up's stamp: another test's stamps may be the same


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Real hashing costs ~0.3 s a user; tests check behaviour, not hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- a provisioning world: our database and the simulator agreeing on a few SIMs -------------

FIRST_ICCID = Account().iccid_first  # the simulator account's first ICCID
POOL = [str(44113000000 + n) for n in range(20)]  # allocated to the simulator's account too
IMEI = "490154203237518"


def iccid(n: int) -> str:
    """The simulator account's `n`th ICCID (from 0): serials counting up, each with its check digit."""
    body = str(int(FIRST_ICCID[:-1]) + n).zfill(len(FIRST_ICCID) - 1)
    return body + luhn.calc_check_digit(body)


@pytest.fixture
def world(aql_settings, db, settings):
    """The simulator on our account, with its numbers in our pool and ten unused SIMs recorded."""
    # Worker passes run their steps in this thread, inside the test's transaction (the
    # threaded path runs in the end-to-end cluster test).
    settings.AQL_MAX_CONCURRENCY = 1
    number_add(numbers=POOL)
    sim_add(iccids=[iccid(n) for n in range(10)])
    return aql_settings


@pytest.fixture
def make_sim(world) -> Callable[..., Sim]:
    """A SIM already in some state, alike in our records and at the simulator."""

    def make(n: int, state: str = SimState.ACTIVE, number: str | None = None,
             services: tuple[str, ...] = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")) -> Sim:
        sim = Sim.objects.get(iccid=iccid(n))
        sim.state = state
        if number:
            sim.number = GeographicNumber.objects.get(number=number)
        for name in SERVICES:
            setattr(sim, name, name in services)
        sim.save()
        world.fake.put_sim(sim.iccid, state=state, geo_nos=number, services=services)
        return sim

    return make


def activation(**changes: str) -> dict[str, str]:
    """A valid activation form, as staff would type it."""
    fields = {"imei": IMEI, "number": "44113000005", "name": "Ada Lovelace",
              "address": "11-15 Hunslet Road\nLeeds", "postcode": "ls10 1jq", "contact_number": "0113 320 3040"}
    return fields | changes


def many_sims(count: int, start: int = 100_000) -> list[Sim]:
    """`count` more active SIMs, each with a number and a subscriber (so a missing join shows up as
    one query per row), made in bulk: test data, not a path under test."""
    from sims.models import Subscriber

    numbers = GeographicNumber.objects.bulk_create(
        GeographicNumber(number=str(441139000000 + start + n)) for n in range(count))
    people = Subscriber.objects.bulk_create(
        Subscriber(name=f"Customer {n}", address="1 Road", postcode="LS1 1AA", contact_number="447700900123")
        for n in range(count))
    iccids = [iccid(start + n) for n in range(count)]
    return Sim.objects.bulk_create(
        Sim(iccid=i, iccid_reversed=i[::-1], state=SimState.ACTIVE, number=numbers[n], subscriber=people[n])
        for n, i in enumerate(iccids))


def make_schedules() -> None:
    """What `migrate` did, again: the worker's schedules (a transactional test's flush removes them)."""
    for migration in ("sims.migrations.0003_schedules", "orders.migrations.0002_schedules"):
        _run_migration(migration, "create_schedules")
    _run_migration("sims.migrations.0009_terminated_at", "backfill_and_schedule")
    _run_migration("orders.migrations.0007_erase_schedule", "schedule")
    _run_migration("orders.migrations.0008_orders_every_minute", "every_minute")
    _run_migration("sims.migrations.0011_follow_requests", "follow")
    _run_migration("common.migrations.0005_one_follower", "one_follower")
    _run_migration("ops.migrations.0001_follower_moved", "moved")
    _run_migration("sims.migrations.0023_prune_checks_schedule", "schedule")
    _run_migration("sims.migrations.0027_prune_every_ten_minutes", "every_ten_minutes")
    _run_migration("api.migrations.0003_prune_replies_schedule", "schedule")
    _run_migration("notices.migrations.0002_notify_schedule", "create_schedule")
    _run_migration("ops.migrations.0003_audit_seal_schedules", "schedule")
    _run_migration("reports.migrations.0002_rollup_schedule_and_roles", "schedule")


def manage(*args: str) -> tuple[int, str]:
    """Run a management command as a shell would: its exit status and everything it printed."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    try:
        call_command(*args, stdout=out, stderr=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + str(exc)
    except SystemExit as exc:  # --help
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def site_urls() -> dict[str, object]:
    """Every named URL of our pages, by its full name ("sims:sim_detail"): admin's and the API's aside."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = {}
    for top in get_resolver().url_patterns:
        if isinstance(top, URLPattern) and top.name:
            found[top.name] = top
        elif isinstance(top, URLResolver) and top.namespace not in ("admin", None) and top.app_name != "ninja":
            found.update({f"{top.namespace}:{p.name}": p for p in top.url_patterns if p.name})
    return found
