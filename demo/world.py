"""The demo world: two hundred SIMs, numbers, orders and stock, made the way staff would make them.

Everything goes through `sims.services` and `orders.services`, talking to the running aql
simulator over HTTP, so our records and the simulator's agree and every SIM has a real
timeline. Two-step requests are settled by moving the simulator's clock on (its control
endpoints under /_aqlsim/) and running the worker's step in this process; the last few are
left in flight so the newcomer can watch the worker finish them.

It is an app of its own (`demo`): it uses `sims` and `orders`, and nothing imports it.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Self
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db.models import Count
from django.utils import timezone
from stdnum import luhn

from aql.fake import CONTROL_PREFIX, Account
from aql.http import GatewaySession
from aql.usim import UsimClient
from ops import gateway
from orders import services as order_services
from orders.models import DespatchOrder, OrderState, Product, StockLevel
from sims import services
from sims.lifecycle import SimState
from sims.models import GatewayRequest, GeographicNumber, RequestState, Sim

# How big the world is. The simulator's account has 500 ICCIDs and 200 numbers.
SIM_COUNT = 200
NUMBER_COUNT = 130
ACTIVATED = 118  # activated and settled; some then suspended, terminated or given services
WHY = ("customer_request", "lost", "unpaid", "stolen", "fraud_suspected")  # why the seeded lines were stopped
# The staff, one per role below Admin (the admin is demo_setup's): each gets a login in the banner.
STAFF = (("sam", "Sam", "Okafor", "Customer service"), ("priya", "Priya", "Shah", "Supervisor"),
         ("olu", "Olu", "Bankole", "Observer"))


class DemoError(Exception):
    """The demo cannot be seeded (no simulator answers where the gateway is configured)."""


# --- the simulator's control endpoints -------------------------------------------------------

@dataclass
class Control:
    """The simulator's JSON control endpoints, beside the configured USIM gateway URL."""

    base_url: str
    session: GatewaySession

    @classmethod
    def from_settings(cls) -> Self:
        # The demo and the tests point AQL_USIM_URL at the simulator: its control endpoints
        # live on the same host, so the real gateway (which has none) is never seeded.
        url = urlsplit(settings.AQL_USIM_URL)
        return cls(f"{url.scheme}://{url.netloc}{CONTROL_PREFIX}", GatewaySession(timeout=5))

    def call(self, name: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET (no payload) or POST one control endpoint; its JSON answer."""
        try:
            if payload is None:
                response = self.session.get(self.base_url + name)
            else:
                response = self.session.post(self.base_url + name, json=payload)
            response.raise_for_status()
            return response.json()
        except (OSError, ValueError) as exc:  # requests' errors are OSErrors; bad JSON a ValueError
            raise DemoError(f"the aql simulator did not answer {self.base_url}{name} as expected ({exc}); "
                            "demo_setup seeds only the simulator") from exc

    def advance(self) -> None:
        """Move the simulator's clock past the time requests settle and orders despatch."""
        faults = self.call("faults", {})  # an empty change: the current faults
        self.call("advance", {"seconds": max(faults["settle_after"], faults["despatch_after"]) + 1})

    @contextmanager
    def faults(self, **changes: float) -> Iterator[None]:
        """Inject faults for the commands sent inside the block, then put them back."""
        before = self.call("faults", {})
        self.call("faults", changes)
        try:
            yield
        finally:
            self.call("faults", {name: before[name] for name in changes})


# --- people, addresses, handsets -------------------------------------------------------------

FIRST_NAMES = ("Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Freya", "Arthur", "Mohammed", "Zara",
               "Harry", "Niamh", "Callum", "Aisha", "Rhys", "Grace", "Tomasz", "Chloe", "Kwame", "Eilidh",
               "Jack", "Sophie", "Dylan", "Megan", "Yusuf", "Ellie", "Owen", "Hannah", "Rory", "Siobhan",
               "Femi", "Leah", "Connor", "Anjali", "Lewis", "Martha")
SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Patel", "Khan",
            "Roberts", "Walker", "Wright", "Robinson", "Thompson", "O'Brien", "Campbell", "Hughes", "Murphy",
            "Kowalski", "Adeyemi", "MacLeod", "Davies", "Ahmed", "Green", "Hall", "Clarke", "Jackson", "Lewis",
            "Morgan", "Begum", "Nowak", "Fraser", "Price", "Ellis", "Singh", "Lloyd-Jones")
STREETS = ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane",
           "Queen Street", "Albert Terrace", "Kings Road", "Grange Road", "Orchard Close", "Meadow Way",
           "Castle Street", "North Parade", "Chapel Street", "Holly Bank", "Elm Grove", "Canal Wharf")
# Town, postcode area, districts, and a landline prefix from Ofcom's ranges kept for drama
# (nnn 496 0xxx and the like): realistic, and no real subscriber's number.
PLACES = (
    ("Leeds", "LS", (1, 2, 6, 7, 10, 11, 17), "0113 496 0"),
    ("Sheffield", "S", (1, 7, 10, 11), "0114 496 0"),
    ("Nottingham", "NG", (1, 3, 5, 7), "0115 496 0"),
    ("Bristol", "BS", (1, 3, 6, 8, 16), "0117 496 0"),
    ("Birmingham", "B", (1, 5, 13, 15, 29), "0121 496 0"),
    ("Edinburgh", "EH", (1, 3, 6, 9, 10), "0131 496 0"),
    ("Glasgow", "G", (1, 3, 11, 12, 41), "0141 496 0"),
    ("Liverpool", "L", (1, 8, 15, 17, 18), "0151 496 0"),
    ("Manchester", "M", (1, 4, 14, 20, 21), "0161 496 0"),
    ("Newcastle upon Tyne", "NE", (1, 2, 4, 6), "0191 498 0"),
    ("London", "SE", (1, 5, 15, 22), "020 7946 0"),
    ("London", "N", (1, 4, 7, 16), "020 7946 0"),
    ("Cardiff", "CF", (10, 11, 14, 23, 24), "029 2018 0"),
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code uses
COMPANIES = ("Northern Lights Bakery", "Harbour Dental Ltd", "Pennine Plumbing", "Greenway Logistics",
             "Tillery & Daughters")
TACS = ("35209900", "35332811", "35391110", "86891304", "35875611", "35467812")  # handset type codes


@dataclass(frozen=True)
class Person:
    name: str
    address: str
    postcode: str
    contact: str


def people(rng: random.Random) -> Iterator[Person]:
    """Endless, varied UK subscribers: names, addresses, matching postcodes, contact numbers."""
    while True:
        town, area, districts, landline = rng.choice(PLACES)
        street = f"{rng.randint(1, 240)} {rng.choice(STREETS)}"
        if rng.random() < 0.2:
            street = f"Flat {rng.randint(1, 30)}, {street}"
        postcode = (f"{area}{rng.choice(districts)} {rng.randint(1, 9)}"
                    f"{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}")
        # Mostly mobiles (Ofcom's drama range 07700 900xxx), some landlines in their own town.
        prefix = "07700 900" if rng.random() < 0.7 else landline
        yield Person(name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", address=f"{street}, {town}",
                     postcode=postcode, contact=f"{prefix}{rng.randint(0, 999):03d}")


def imeis(rng: random.Random) -> Iterator[str]:
    """Distinct, valid IMEIs: a handset type code, a serial and the Luhn check digit."""
    seen: set[str] = set()
    while True:
        body = rng.choice(TACS) + f"{rng.randint(0, 999_999):06d}"
        if body not in seen:
            seen.add(body)
            yield body + luhn.calc_check_digit(body)


# --- seeding ---------------------------------------------------------------------------------

def staff_users(admin: AbstractBaseUser) -> list[AbstractBaseUser]:
    """The staff in STAFF, each in its role (demo_setup gives them passwords); returns those who sign
    the world's work: the admin and those whose role may act (not the Observer)."""
    users = [admin]
    for username, first, last, role in STAFF:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.org"})
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=role))
        if role != "Observer":
            users.append(user)
    return users


def _free_number() -> str:
    """A pool number no SIM has and no command in flight is holding."""
    return GeographicNumber.objects.available().order_by("number")[0].number


def _settle_pending() -> None:
    """What the worker does once aql has finished: checkstatus for every pending request."""
    for pk in GatewayRequest.objects.filter(state=RequestState.PENDING).values_list("pk", flat=True):
        services.request_poll(request_id=pk)


def _impatient_client(seconds: float) -> UsimClient:
    """A USIM client that gives up on aql's answers after `seconds` (the configured one waits longer)."""
    return UsimClient(url=settings.AQL_USIM_URL, username=settings.AQL_USERNAME, password=settings.AQL_PASSWORD,
                      timeout=seconds)


@contextmanager
def _quiet(logger: str) -> Iterator[None]:
    """Hold back a logger's warnings: a fault the demo injects on purpose is not news on the console."""
    log = logging.getLogger(logger)
    before = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(before)


@dataclass
class _Seeder:
    """What every step of the seeding shares: the simulator, the dice, the staff, made-up people."""

    control: Control
    rng: random.Random
    staff: list[AbstractBaseUser]
    people: Iterator[Person]
    imeis: Iterator[str]

    def who(self) -> AbstractBaseUser:
        return self.rng.choice(self.staff)

    def activate(self, sim_id: int) -> GatewayRequest:
        p = next(self.people)
        return services.sim_activate(sim_id=sim_id, actor=self.who(), imei=next(self.imeis), number=_free_number(),
                                     name=p.name, address=p.address, postcode=p.postcode, contact_number=p.contact)

    def despatch(self) -> DespatchOrder:
        p = next(self.people)
        company = self.rng.choice(COMPANIES) if self.rng.random() < 0.4 else ""
        return order_services.order_despatch(actor=self.who(), name=p.name, company=company, address=p.address,
                                             postcode=p.postcode, contact_no=p.contact)

    def settle(self) -> None:
        """aql finishes everything sent so far, and the worker reads the answers."""
        self.control.advance()
        _settle_pending()


def seed_world(*, admin: AbstractBaseUser, say: Callable[[str], None]) -> dict[str, Any]:
    """Seed the demo world through the services; returns a summary. Needs a fresh database."""
    control = Control.from_settings()
    control.call("state")  # is the simulator there? (DemoError if not)
    started = time.monotonic()
    rng = random.Random(2024)  # the same world every start
    seeder = _Seeder(control, rng, staff_users(admin), people(rng), imeis(rng))
    account = Account()  # the simulator's default account: its ICCIDs and numbers
    iccids = list(account.iccids())[:SIM_COUNT]
    services.number_add(numbers=account.geo_numbers[:NUMBER_COUNT])
    services.sim_add(iccids=iccids)
    sims = list(Sim.objects.filter(iccid__in=iccids).order_by("iccid").values_list("pk", flat=True))
    say(f"Seeding the demo world through the aql simulator at {control.base_url} ...")

    active, suspended = _history(seeder, sims)
    _drift(seeder, active[42:44])
    _orders_and_stock(seeder, product_code=next(iter(account.stock)))
    _live_without_a_number(seeder)
    _left_for_the_newcomer(seeder, unused=sims[-2:], active=active[44:47], suspended=suspended[6])
    _spread_stock_history()
    return summary() | {"seconds": time.monotonic() - started}


def _spread_stock_history(hours: int = 6) -> None:
    """A day's stock history made in seconds: the snapshots are the simulator's real answers,
    only their times are spread `hours` apart, ending now, so the trend has a shape."""
    times = sorted(set(StockLevel.objects.values_list("checked_at", flat=True)), reverse=True)
    now = timezone.now()
    for n, at in enumerate(times):
        StockLevel.objects.filter(checked_at=at).update(checked_at=now - timedelta(hours=hours * n))
    order_services.keep_trends()  # the sparklines of the history as spread


def _history(seeder: _Seeder, sims: list[int]) -> tuple[list[int], list[int]]:
    """Activations and two days of staff work, all settled. Returns the activated SIMs (shuffled,
    so roles are spread through the list) and those suspended on the first day."""
    # One activation the network refuses. The last two SIMs are kept for activations left in
    # flight; the ones after the activated block stay unused (aql posts them out for orders).
    for sim_id in sims[:ACTIVATED]:
        seeder.activate(sim_id)
    with seeder.control.faults(fail_rate=1):
        seeder.activate(sims[-3])
    seeder.settle()
    active = sims[:ACTIVATED]
    seeder.rng.shuffle(active)

    # A day's work: suspensions, terminations, international services.
    suspended, terminated, extras = active[0:14], active[14:20], active[20:40]
    for i, sim_id in enumerate(suspended):
        services.sim_suspend(sim_id=sim_id, actor=seeder.who(), reason=WHY[i % len(WHY)])
    for i, sim_id in enumerate(terminated):
        services.sim_deactivate(sim_id=sim_id, actor=seeder.who(), reason=WHY[(i + 2) % len(WHY)])
    for i, sim_id in enumerate(extras):
        wanted = (["int_roaming"], ["int_calling"], ["int_roaming", "int_calling"])[i % 3]
        services.sim_services_add(sim_id=sim_id, actor=seeder.who(), services=wanted)
    seeder.settle()

    # And the next: some come back, some go for good, roaming switched off, numbers changed.
    for sim_id in suspended[:3]:
        services.sim_reactivate(sim_id=sim_id, actor=seeder.who())
    for sim_id in suspended[3:6]:
        services.sim_deactivate(sim_id=sim_id, actor=seeder.who(), reason="customer_request")
    for sim_id in extras[:2]:  # these two had int_roaming added
        services.sim_services_remove(sim_id=sim_id, actor=seeder.who(), services=["int_roaming"])
    for sim_id in active[40:42]:  # one-step: settles at once
        services.sim_number_change(sim_id=sim_id, actor=seeder.who(), number=_free_number())
    seeder.settle()
    return active, suspended


def _drift(seeder: _Seeder, sim_ids: list[int]) -> None:
    """aql's record changes behind our back (its portal, another system); asking the gateway
    (staff, then the worker's drift sweep) brings ours in line and says what differed."""
    changes = (({"services": ["int_roaming"]}, seeder.who()), ({"state": "suspended"}, None))
    for sim_id, (change, actor) in zip(sim_ids, changes, strict=True):
        sim = Sim.objects.select_related("number").get(pk=sim_id)
        record = {"iccid": sim.iccid, "state": sim.state, "geo_nos": sim.number.number,
                  "services": [name for name, on in sim.services.items() if on]}
        for key, value in change.items():
            record[key] = record[key] + value if key == "services" else value
        seeder.control.call("sims", record)
        services.sim_query(sim_id=sim_id, actor=actor)


def _orders_and_stock(seeder: _Seeder, *, product_code: str) -> None:
    """Despatched, cancelled and refused orders between stock snapshots. `product_code` is the
    one aql takes despatched SIMs from: after the first snapshot an admin sets its warning
    level, which later snapshots cross."""
    order_services.stock_refresh()
    product = Product.objects.get(code=product_code)
    product.low_stock_threshold = product.levels.latest("checked_at").quantity - 5
    product.save(update_fields=["low_stock_threshold"])

    posted = [seeder.despatch() for _ in range(3)]
    order_services.stock_refresh()
    posted += [seeder.despatch() for _ in range(2)]
    seeder.control.advance()
    for order in posted:
        order_services.order_refresh(order_id=order.pk, actor=None)  # despatched: the SIM joins ours
    with seeder.control.faults(cancel_rate=1):
        cancelled = seeder.despatch()
        seeder.control.advance()
        order_services.order_refresh(order_id=cancelled.pk, actor=None)
    # aql says it has no SIMs left for this one: it stays a draft, to be sent again.
    seeder.control.call("force", {"command": "despatch", "codes": [3]})
    seeder.despatch()
    order_services.stock_refresh()


def _live_without_a_number(seeder: _Seeder) -> None:
    """A SIM aql posted out that was made live on aql's side with no number yet (its portal): asking
    aql brings it in, active without a number, so "assign a number" can be tried."""
    sim = DespatchOrder.objects.filter(sim__state=SimState.UNUSED).select_related("sim").order_by("iccid")[0].sim
    seeder.control.call("sims", {"iccid": sim.iccid, "state": SimState.ACTIVE.value, "geo_nos": None})
    services.sim_query(sim_id=sim.pk, actor=seeder.who())


def _left_for_the_newcomer(seeder: _Seeder, *, unused: list[int], active: list[int], suspended: int) -> None:
    """A request aql cannot confirm, and requests and an order still in flight, which the
    simulator settles and the worker picks up while the newcomer watches. Nothing after this
    moves the simulator's clock."""
    # The send hangs, so the outcome is unknown; queryiccid cannot show outgoing SMS, so the
    # worker's reconciliation flags it for staff.
    impatient = _impatient_client(0.5)
    with seeder.control.faults(hang_rate=1, hang_seconds=2), gateway.using(usim=impatient), _quiet("sims.services"):
        unsure = services.sim_services_remove(sim_id=active[0], actor=seeder.who(), services=["mo_sms"])
    services.request_poll(request_id=unsure.pk)
    for sim_id in unused:
        seeder.activate(sim_id)
    services.sim_suspend(sim_id=active[1], actor=seeder.who(), reason="unpaid")
    services.sim_services_add(sim_id=active[2], actor=seeder.who(), services=["int_calling"])
    services.sim_reactivate(sim_id=suspended, actor=seeder.who())
    seeder.despatch()  # processing: aql posts it out soon; the worker's order pass sees it later
    order_services.stock_refresh()


def summary() -> dict[str, Any]:
    """How the world stands: SIMs by state, requests in flight, failed, needing attention, orders."""
    states = dict(Sim.objects.values_list("state").annotate(n=Count("pk")).order_by())
    return {
        "sims": {state.value: states.get(state.value, 0) for state in SimState},
        "in_flight": GatewayRequest.objects.filter(state=RequestState.PENDING).count(),
        "failed": GatewayRequest.objects.filter(state=RequestState.FAILED).count(),
        "attention": GatewayRequest.objects.filter(needs_attention=True).count(),
        "orders": dict(DespatchOrder.objects.values_list("state").annotate(n=Count("pk")).order_by()),
        "low_stock": [p.code for p in Product.objects.filter(low_stock_threshold__isnull=False)
                      if p.levels.latest("checked_at").low],
    }


def describe(world: dict[str, Any]) -> str:
    """One line for the console."""
    sims = ", ".join(f"{n} {SimState(state).label.lower()}" for state, n in world["sims"].items())
    orders = ", ".join(f"{n} {OrderState(state).label.lower()}" for state, n in sorted(world["orders"].items()))
    return (f"SIMs: {sims}. Requests: {world['in_flight']} in flight, {world['failed']} failed, "
            f"{world['attention']} needing attention. Orders: {orders}. Low stock: "
            f"{', '.join(world['low_stock']) or 'none'}.")
