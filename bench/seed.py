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
import json
import random
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from django.db.models import JSONField
from stdnum.luhn import calc_check_digit

from bench.env import database_url, django_setup
from sims.lifecycle import TWO_STEP  # the registry's two-step commands

CHUNK = 20_000  # SIMs a transaction
YEAR = 365 * 86400.0
DAY = 86400.0
HOUR = 3600.0

# ICCIDs: 89 (telecoms) 44 (UK) 10 (issuer) + a 12-digit serial + the Luhn check digit = 19 digits.
# The worker benchmark uses issuer 99, so its SIMs never collide with these.
ICCID_PREFIX = "894410"
AREAS = ("113", "114", "115", "116", "117", "118", "121", "131", "141", "151", "161", "191", "20", "29", "28")

FIRST_NAMES = (
    "Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie", "Jacob", "Thomas",
    "Henry", "William", "Alfie", "Theo", "Freddie", "Archie", "Joshua", "Alexander", "James", "Isaac", "Edward",
    "Lucas", "Tommy", "Finley", "Max", "Logan", "Ethan", "Mohammed", "Teddy", "Benjamin", "Arlo", "Joseph",
    "Sebastian", "Elijah", "Adam", "Albie", "Reggie", "Daniel", "Samuel", "Rory", "Jude", "Louie", "Hugo", "Reuben",
    "Toby", "Ronnie", "Olivia", "Amelia", "Isla", "Ava", "Ivy", "Freya", "Lily", "Florence", "Mia", "Willow", "Rosie",
    "Sophia", "Isabella", "Grace", "Daisy", "Sienna", "Poppy", "Elsie", "Emily", "Ella", "Evelyn", "Phoebe", "Sofia",
    "Evie", "Charlotte", "Harper", "Matilda", "Alice", "Sophie", "Ruby", "Maya", "Emilia", "Ada", "Priya", "Aisha",
    "Fatima", "Zara", "Amira", "Chloe", "Hannah", "Sam", "Kwame", "Chidi", "Ngozi", "Oluwaseun", "Ayesha", "Imran",
    "Bilal", "Sanjay", "Deepa", "Ravi", "Anjali", "Wei", "Mei", "Hiroshi", "Yuki", "Siobhan", "Niamh", "Aoife",
    "Ciaran", "Eilidh", "Callum", "Rhys", "Cerys", "Dafydd", "Gethin", "Bronwen", "Tadeusz", "Agnieszka", "Katarzyna",
    "Piotr", "Ioana", "Andrei", "Giulia", "Marco", "Lucia", "Pablo", "Ines", "Joao", "Yusuf", "Emre", "Elif",
    "Dmitri", "Olga", "Kofi", "Ama", "Tendai", "Rutendo", "Nasra", "Abdi", "Hamza", "Leila", "Omar", "Yasmin",
    "Tariq", "Nadia", "Gurpreet", "Harjit", "Manpreet", "Jaspreet", "Connor", "Declan", "Bethany", "Kirsty", "Shona",
    "Fraser", "Morag", "Ewan"
)
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood",
    "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison",
    "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett",
    "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell", "Collins",
    "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain", "Marshall", "Simpson", "Price", "Anderson", "Adams",
    "Wilkinson", "Ali", "Ahmed", "Foster", "Ellis", "Murphy", "Chapman", "Mason", "Gray", "Richards", "Webb",
    "Griffiths", "Hunt", "Palmer", "Campbell", "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews", "Barker",
    "Powell", "Stevens", "Kaur", "Fisher", "Butler", "Dixon", "Russell", "Harvey", "Pearson", "Graham", "Fletcher",
    "Okafor", "Adeyemi", "Mensah", "Osei", "Nwosu", "Chukwu", "Shah", "Mistry", "Chauhan", "Gill", "Sandhu",
    "Dhillon", "Rahman", "Uddin", "Islam", "Chowdhury", "Iqbal", "Malik", "Akhtar", "Nowak", "Kowalski", "Wisniewski",
    "Popescu", "Ionescu", "Rossi", "Russo", "Ferrari", "Garcia", "Fernandez", "Silva", "Santos", "Costa", "Nguyen",
    "Tran", "Chen", "Wang", "Zhang", "Li", "Liu", "Yamamoto", "Tanaka", "O'Brien", "O'Neill", "O'Connor", "McDonald",
    "MacLeod", "MacKenzie", "Fraser", "Stewart", "Robertson", "Paterson", "Ferguson", "Ross", "Reid", "Sinclair",
    "Llewellyn", "Pritchard", "Vaughan", "Bowen", "Jenkins", "Lloyd", "Owen", "Rees", "Morgan-Jones", "Smith-Barnes",
    "Ashworth", "Ramsbottom", "Sutcliffe", "Greenwood", "Haworth", "Ackroyd", "Brierley", "Oyelaran", "Abiodun",
    "Kariuki", "Wanjiru", "Mutasa", "Moyo", "Dlamini", "Haddad", "Nasser", "Farah"
)
STREETS = ("Station Road", "High Street", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane", "Hunslet Road",
           "Kirkstall Road", "Otley Road", "Boar Lane", "Albion Street", "Harehills Lane", "Chapeltown Road",
           "Queens Road", "Manor Way", "Cardigan Road", "Meanwood Road", "York Road", "Wakefield Road", "Spen Lane")
TOWNS = ("Leeds", "Bradford", "Sheffield", "Manchester", "Liverpool", "Birmingham", "Bristol", "Nottingham",
         "Leicester", "Newcastle", "Glasgow", "Edinburgh", "Cardiff", "Belfast", "London", "York", "Hull", "Reading")
OUTWARD = (
    [f"LS{n}" for n in range(1, 30)] + [f"M{n}" for n in range(1, 41)] + [f"B{n}" for n in range(1, 50)]
    + [f"S{n}" for n in range(1, 36)] + [f"BD{n}" for n in range(1, 24)] + [f"G{n}" for n in range(1, 80)]
    + [f"EH{n}" for n in range(1, 55)] + [f"CF{n}" for n in range(5, 48)] + [f"BT{n}" for n in range(1, 50)]
    + ["EC1A", "EC2V", "W1A", "SW1A", "SE1", "N1", "E1", "NW1", "WC2H", "E14"] + [f"L{n}" for n in range(1, 40)]
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a postcode's inward code may use

ACTIVATION_SERVICES = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")
SERVICE_ORDER = ("int_roaming", "int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms")
# How SIMs end up: (state, share). "pending" is an activation in flight.
STATES = (("active", 0.70), ("suspended", 0.08), ("unused", 0.14), ("terminated", 0.072), ("pending", 0.008))
ROLES = (("Customer service", 0.75), ("Supervisor", 0.12), ("Observer", 0.10), ("Admin", 0.03))
PRODUCTS = (("AQL-123", 500), ("ABC-456", 2000), ("AQL-789", None), ("DATA-001", 100))


def luhn(body: str) -> str:
    """`body` with its Luhn check digit (ICCIDs and IMEIs carry one)."""
    return body + calc_check_digit(body)


@cache
def services_json(services: tuple[str, ...]) -> str:
    """The services as an audit snapshot lists them (a handful of combinations: made once each)."""
    return json.dumps(list(services))


class Table:
    """Rows for one model's table, by field name; checks that every NOT NULL column is given."""

    def __init__(self, model, fields: tuple[str, ...]) -> None:
        self.model, self.fields = model, fields
        unnamed = [f for f in model._meta.concrete_fields if not f.null and f.name not in fields]
        # A column added since this was written takes its default, if it has one (a trigger may
        # keep it, as on_sim is kept); one without a default stops the seed here, not mid-COPY.
        if missing := [f.name for f in unnamed if not f.has_default()]:
            raise SystemExit(f"bench/seed.py does not fill {model._meta.label}.{', '.join(missing)}: add it")
        self.columns = [model._meta.get_field(name).column for name in fields] + [f.column for f in unnamed]
        self.defaults = tuple(json.dumps(f.get_default()) if isinstance(f, JSONField) else f.get_default()
                              for f in unnamed)
        if unnamed:
            print(f"  ({model._meta.label}: {', '.join(f.name for f in unnamed)} left to its default)")
        self.rows: list[tuple] = []

    def write(self, cursor, postgres: bool) -> int:
        """Insert the rows collected (COPY on PostgreSQL, executemany on SQLite) and forget them."""
        table = self.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in self.columns)
        if self.defaults:
            self.rows = [row + self.defaults for row in self.rows]
        if postgres:
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', self.rows)  # noqa: S608
        written, self.rows = len(self.rows), []
        return written


class World:
    """The rows of N SIMs' stories, made a chunk at a time with ids given here (the tables start empty)."""

    def __init__(self, *, sims: int, seed: int, postgres: bool, staff: list[tuple[int, str]], system_id: int) -> None:
        from common.models import AuditEvent
        from orders.models import DespatchOrder, OrderEvent, Product, StockLevel
        from sims.models import GatewayRequest, GeographicNumber, Sim, SimEvent, Subscriber

        self.count, self.rng, self.postgres = sims, random.Random(seed), postgres
        self.now = time.time()
        self.start = self.now - 3 * YEAR  # SIMs were added over three years, oldest first
        self.staff, self.system_id = staff, system_id
        # a few people do most of the work: weights 1, 1/2, 1/3 ... (cumulated once: choices() is hot)
        self.staff_weights = list(accumulate(1 / (n + 1) for n in range(len(staff))))
        self.ids = dict.fromkeys(("number", "subscriber", "sim", "request", "event", "order", "order_event", "audit",
                                  "stock"), 0)
        self.aql_id = 117234
        self.number_serial = 0
        self.t = {
            "number": Table(GeographicNumber, ("id", "number", "held_by", "added_at")),
            "subscriber": Table(Subscriber, ("id", "name", "address", "postcode", "contact_number")),
            "sim": Table(Sim, ("id", "iccid", "iccid_reversed", "state", "imei", "number", "subscriber",
                               *SERVICE_ORDER, "premium", "checked_at", "recheck_at", "terminated_at", "not_before",
                               "drift_at", "created_at", "updated_at")),
            "request": Table(GatewayRequest, ("id", "sim", "command", "params", "actor", "actor_name", "state",
                                              "state_before", "aql_id", "codes", "reply", "created_at", "settled_at",
                                              "next_poll_at", "poll_count", "needs_attention")),
            "event": Table(SimEvent, ("id", "at", "actor", "actor_name", "interface", "message", "sim", "request",
                                      "action", "before", "after")),
            "order": Table(DespatchOrder, ("id", "order_ref", "name", "company", "address", "postcode", "contact_no",
                                           "state", "reason", "iccid", "sim", "created_by", "created_by_name",
                                           "created_at", "submitted_at", "settled_at", "next_check_at", "misses",
                                           "last_miss_at", "replaces")),
            "order_event": Table(OrderEvent, ("id", "at", "actor", "actor_name", "interface", "message", "order",
                                              "state_before", "state_after")),
            "audit": Table(AuditEvent, ("id", "at", "actor", "actor_name", "interface", "message", "action",
                                        "subject")),
            "product": Table(Product, ("id", "code", "low_stock_threshold")),
            "stock": Table(StockLevel, ("id", "product", "quantity", "low", "checked_at")),
        }

    # --- small helpers ---------------------------------------------------------------------

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def stamp(self, t: float) -> str:
        """A time as the database takes it: the text Django writes on SQLite (naive UTC), with the
        offset on PostgreSQL (COPY reads text). Formatted by hand: a million SIMs need ten million."""
        seconds = int(t)
        micro = int((t - seconds) * 1_000_000)
        text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + (f".{micro:06d}" if micro else "")
        return text + "+00:00" if self.postgres else text

    def person(self) -> tuple[int | None, str, str]:
        """Who did something by hand: (user id, username, interface)."""
        user_id, username = self.rng.choices(self.staff, cum_weights=self.staff_weights)[0]
        door = self.rng.random()
        return user_id, username, "web" if door < 0.92 else "admin" if door < 0.97 else "cli"

    def system(self) -> tuple[int | None, str, str]:
        """The worker (no user), or now and then a command line without --user (the system account)."""
        if self.rng.random() < 0.02:
            return self.system_id, "system", "cli"
        return None, "system", "worker"

    def new_number(self, added: float, held_by: int | None = None) -> tuple[int, str]:
        """The next number of the pool: allocated in blocks of 10,000 in one area code after another."""
        serial = self.number_serial
        self.number_serial += 1
        area = AREAS[(serial // 10_000) % len(AREAS)]
        block = serial // (10_000 * len(AREAS))
        digits = 10 - len(area)  # 44 + 10 national digits
        local = str(2 * 10 ** (digits - 1) + block * 10_000 + serial % 10_000).zfill(digits)
        number = f"44{area}{local}"
        pk = self.next_id("number")
        self.t["number"].rows.append((pk, number, held_by, self.stamp(added)))
        return pk, number

    def name(self) -> str:
        """A first and last name (now and then a middle one): common and rare, for name searches."""
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if rng.random() < 0.08:
            return f"{first} {rng.choice(FIRST_NAMES)} {last}"
        return f"{first} {last}"

    def postcode(self) -> str:
        """A UK postcode as clean_postcode writes it ("LS10 1JQ")."""
        rng = self.rng
        return f"{rng.choice(OUTWARD)} {rng.randrange(10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"

    def address(self) -> str:
        """One line, as clean_address writes it."""
        rng = self.rng
        return f"{rng.randrange(1, 300)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"

    def subscriber(self) -> tuple[int, str, str]:
        """A new subscriber: (id, name, postcode)."""
        pk = self.next_id("subscriber")
        name, postcode, address = self.name(), self.postcode(), self.address()
        contact = f"447{self.rng.randrange(10 ** 9):09d}"
        self.t["subscriber"].rows.append((pk, name, address, postcode, contact))
        return pk, name, postcode

    # --- the journal and the trail -----------------------------------------------------------

    def event(self, t: float, who: tuple[int | None, str, str], sim_id: int, request_id: int | None, action: str,
              message: str, before: str, after: str) -> None:
        """One line of a SIM's audit trail."""
        self.t["event"].rows.append((self.next_id("event"), self.stamp(t), who[0], who[1], who[2], message, sim_id,
                                     request_id, action, before, after))

    def request(self, sim: "Story", command: str, t: float, who: tuple[int | None, str, str], *, state: str,
                params: dict, settled: float | None, codes: tuple[int, ...] = (), reply: str = "",
                next_poll: float | None = None, polls: int = 0, attention: bool = False) -> int:
        """One journal row, sent while the SIM was in `sim.state`; returns its id."""
        pk = self.next_id("request")
        aql_id = None
        if command in TWO_STEP and state in ("pending", "success", "failed"):  # aql took it and gave its id
            self.aql_id += 1
            aql_id = self.aql_id
        self.t["request"].rows.append((
            pk, sim.id, command, json.dumps(params), who[0], who[1], state, sim.state, aql_id, json.dumps(list(codes)),
            reply, self.stamp(t), None if settled is None else self.stamp(settled),
            None if next_poll is None else self.stamp(next_poll), polls, attention))
        return pk

    # --- one SIM ----------------------------------------------------------------------------

    def sim(self, i: int) -> None:
        """The i-th SIM added (they were added evenly over three years) and everything it went through."""
        rng = self.rng
        step = (3 * YEAR - 2 * DAY) / self.count
        created = self.start + i * step + rng.uniform(0, step)
        iccid = luhn(f"{ICCID_PREFIX}{i:012d}")
        roll, state = rng.random(), "active"
        for candidate, share in STATES:
            if roll < share:
                state = candidate
                break
            roll -= share
        story = Story(self, self.next_id("sim"), iccid, created)
        if state == "unused":
            story.unused()
        elif state == "pending":
            story.activating()
        else:
            story.activated(state)
        story.write()

    def chunk(self, first: int, last: int) -> None:
        """SIMs first..last-1, with the orders, spare numbers and general audit events of their share of time."""
        for i in range(first, last):
            self.sim(i)
        share = last - first
        for _ in range(share // 100):  # spare numbers, never on a SIM
            self.new_number(self.start + self.rng.uniform(0, 3 * YEAR))
        for _ in range(share // 1000 or 1):  # orders still open or that never became SIMs
            self.open_order()
        for _ in range(share // 20):
            self.audit()

    def open_order(self) -> None:
        """An order that is not (yet) a SIM: open, a draft, failed, cancelled or never placed."""
        rng = self.rng
        state = rng.choices(("processing", "submitted", "draft", "failed", "cancelled", "not_placed"),
                            weights=(5, 2, 3, 2, 1, 0.5))[0]
        recent = state in ("processing", "submitted", "draft")
        created = self.now - (rng.uniform(600, 3 * DAY) if recent else rng.uniform(DAY, 3 * YEAR))
        reasons = {"failed": "Out of stock for AQL-123 (aql code 3)", "cancelled": "aql cancelled the order",
                   "not_placed": "aql had no record of it through the settle window"}
        self.order(created, state, reason=reasons.get(state, ""))

    def order(self, created: float, state: str, *, name: str | None = None, sim_id: int | None = None,
              iccid: str = "", settled: float | None = None, reason: str = "") -> None:
        """A despatch order and its trail, from draft to `state`."""
        rng = self.rng
        pk = self.next_id("order")
        who = self.person()
        ref = f"MVN-{(pk * 0x9E3779B1) % 16 ** 10:010X}"  # an odd multiplier mod 16**10: unique, scattered
        company = "" if rng.random() < 0.7 else f"{rng.choice(LAST_NAMES)} {rng.choice(('Ltd', 'plc', '& Sons'))}"
        submitted = None if state == "draft" else created + 30
        open_ = state in ("processing", "submitted")
        self.t["order"].rows.append((
            pk, ref, name or self.name(), company, self.address(), self.postcode(), f"447{rng.randrange(10**9):09d}",
            state, reason, iccid, sim_id, who[0], who[1], self.stamp(created),
            None if submitted is None else self.stamp(submitted),
            None if settled is None else self.stamp(settled),
            self.stamp(self.now + rng.uniform(60, 300)) if open_ else None, 0, None, None))
        trail = [("", "draft", created, who, "Order created.")]
        if submitted is not None:
            trail.append(("draft", "submitted", submitted, who, "Sent to aql for despatch."))
        final = {"processing": "Taken by aql.", "failed": reason, "cancelled": reason, "not_placed": reason,
                 "despatched": f"Despatched: SIM {iccid}."}
        if state in final:
            if state == "despatched":
                trail.append(("submitted", "processing", submitted + 5, (None, "system", "worker"), "Taken by aql."))
            source = "processing" if state == "despatched" else "submitted"
            trail.append((source, state, settled or submitted + 5, (None, "system", "worker"), final[state]))
        for before, after, at, actor, message in trail:
            self.t["order_event"].rows.append((self.next_id("order_event"), self.stamp(at), actor[0], actor[1],
                                               actor[2], message, pk, before, after))

    def audit(self) -> None:
        """A line of the general audit trail: mostly sign-ins."""
        rng = self.rng
        action = rng.choices(("signed_in", "sign_in_failed", "forbidden", "numbers_added", "sims_added",
                              "gateway_sent"), weights=(80, 8, 5, 3, 3, 1))[0]
        who = self.person()
        at = self.now - rng.uniform(0, 3 * YEAR)
        words = {"signed_in": ("Signed in.", who[1]), "sign_in_failed": ("A sign-in failed.", who[1]),
                 "forbidden": ("Refused: no permission to terminate a SIM.", "/sims/"),
                 "numbers_added": ("Numbers added to the pool.", f"{rng.randrange(10, 500)} numbers"),
                 "sims_added": ("SIMs added.", f"{rng.randrange(10, 2000)} SIMs"),
                 "gateway_sent": ("queryiccid sent by hand.", "queryiccid")}
        message, subject = words[action]
        self.t["audit"].rows.append((self.next_id("audit"), self.stamp(at), who[0], who[1], who[2], message, action,
                                     subject))

    def stock(self, days: int = 90) -> None:
        """Every product's level every 15 minutes for `days` days: going down, restocked now and then."""
        rng = self.rng
        for n, (code, threshold) in enumerate(PRODUCTS, start=1):
            self.t["product"].rows.append((n, code, threshold))
            quantity = rng.randrange(1000, 20000)
            for k in range(days * 96):
                quantity = max(0, quantity - rng.randrange(0, 4))
                if quantity < (threshold or 200) // 2 and rng.random() < 0.05:
                    quantity += rng.randrange(2000, 10000)
                low = threshold is not None and quantity < threshold
                at = self.now - (days * 96 - k) * 900
                self.t["stock"].rows.append((self.next_id("stock"), n, quantity, low, self.stamp(at)))


class Story:
    """One SIM from the day it was added: what it went through, as rows, agreeing with where it ends."""

    def __init__(self, world: World, pk: int, iccid: str, created: float) -> None:
        self.w, self.id, self.iccid, self.created = world, pk, iccid, created
        self.state, self.imei, self.number_id, self.number, self.subscriber_id = "unused", "", None, None, None
        self.name = self.postcode = ""
        self.services: tuple[str, ...] = ()
        self.premium = False
        self.updated = created
        self.checked = self.recheck = self.terminated = None

    def snapshot(self) -> str:
        """The SIM as an audit event records it before and after (Sim.snapshot), as JSON text."""
        number = f'"{self.number}"' if self.number else "null"
        return (f'{{"state": "{self.state}", "number": {number}, "services": {services_json(self.services)}, '
                f'"premium": {"true" if self.premium else "false"}, "imei": "{self.imei}"}}')

    # --- what can happen to it ---

    def query(self, at: float, who: tuple[int | None, str, str]) -> None:
        """aql asked about the SIM (queryiccid), by staff or by the drift sweep: it agreed."""
        w = self.w
        reply = f"status: 200\niccid: {self.iccid}\niccidstate: {self.state}"
        if self.number:
            reply += f"\ngeo_nos: {self.number}\nint_roaming: {int('int_roaming' in self.services)}"
        pk = w.request(self, "queryiccid", at, who, state="success", params={}, settled=at + 0.4, reply=reply)
        snap = self.snapshot()
        w.event(at + 0.4, who, self.id, pk, "queried", f"Asked aql: {self.state}.", snap, snap)

    def command(self, command: str, label: str, at: float, who: tuple[int | None, str, str], params: dict, *,
                outcome: str = "success", change=None) -> float:
        """A command sent at `at` and settled by the worker's checkstatus (or at once when refused); `change`
        applies success to the story. Returns when it settled."""
        w = self.w
        one_step = command in ("assigngeo", "changegeo")
        settled = at + (0.5 if one_step or outcome == "rejected" else w.rng.uniform(31 * 60, 95 * 60))
        codes = {"rejected": (w.rng.choice((63204, 63026, 63017)),)}.get(outcome, ())
        reply = {"success": f"status: 200\nrequeststate: success\niccid: {self.iccid}",
                 "failed": f"status: 200\nrequeststate: failed\niccid: {self.iccid}",
                 "rejected": f"status: {codes[0] if codes else ''}",
                 "not_sent": f"status: 200\niccid: {self.iccid}\niccidstate: {self.state}"}[outcome]
        before = self.snapshot()
        polls = 0 if one_step or outcome == "rejected" else w.rng.randrange(1, 4)
        pk = w.request(self, command, at, who, state=outcome, params=params, settled=settled, codes=codes,
                       reply=reply, polls=polls)
        w.event(at, who, self.id, pk, "sending", f"{label} sent.", before, before)
        if outcome == "success" and change is not None:
            change()
        self.updated = settled
        after = self.snapshot()
        system = (None, "system", "worker")
        if outcome == "rejected":
            w.event(settled, who, self.id, pk, "refused", f"{label}: refused by aql (aql code {codes[0]}).", before,
                    after)
        elif outcome == "not_sent":
            w.event(at + 30, system, self.id, pk, "unknown", f"{label}: no answer from aql (read timed out).", before,
                    before)
            w.event(settled, system, self.id, pk, "not_sent", f"{label} did not take effect: aql's record shows no "
                    "change after the settle window.", before, after)
        else:
            words = {"success": "succeeded", "failed": "failed"}[outcome]
            w.event(settled, who if one_step else system, self.id, pk, "succeeded" if outcome == "success" else
                    "failed", f"{label} {words}.", before, after)
        return settled

    def unused(self) -> None:
        """Never activated; now and then compared with aql by the drift sweep."""
        w = self.w
        if w.rng.random() < 0.2:
            self.checked = w.rng.uniform(self.created, w.now - HOUR)
            self.query(self.checked, w.system())

    def activating(self) -> None:
        """An activation in flight: the subscriber recorded, the number held, aql not finished."""
        w = self.w
        at = max(self.created + 60, w.now - w.rng.uniform(120, 2 * DAY))
        self.give_subscriber_and_imei()
        who = w.person()
        before = self.snapshot()
        unknown = w.rng.random() < 0.12
        age = w.now - at
        # The number is held for the activation written next (ids are given here, in order).
        _, number = w.new_number(at - 3 * DAY, held_by=w.ids["request"] + 1)
        attention = (age > DAY) or (unknown and w.rng.random() < 0.5)
        pk = w.request(self, "activate", at, who, state="unknown" if unknown else "pending",
                       params={"imei": self.imei, "geo_nos": number}, settled=None,
                       reply="no answer: read timed out" if unknown else "status: 200",
                       next_poll=w.now + w.rng.uniform(300, HOUR), polls=int(age // HOUR), attention=attention)
        self.state = "pending"  # what the SIM shows while aql works on it
        w.event(at, who, self.id, pk, "sending", f"Activation sent with number {number}.", before, self.snapshot())
        if unknown:
            w.event(at + 30, (None, "system", "worker"), self.id, pk, "unknown",
                    "Activate: no answer from aql (read timed out).", before, self.snapshot())
        if attention:
            w.event(min(at + DAY, w.now - 30), (None, "system", "worker"), self.id, pk, "attention",
                    "Activate has been in progress for 24 hours: aql has not finished it.", before, self.snapshot())
        self.updated = at

    def give_subscriber_and_imei(self) -> None:
        """What an activation records: the subscriber, and the handset's IMEI."""
        self.subscriber_id, self.name, self.postcode = self.w.subscriber()
        self.imei = luhn(f"35{self.w.rng.randrange(10 ** 12):012d}")

    def activated(self, final: str) -> None:
        """Activated (by hand, settled by the worker), then whatever brought it to `final`."""
        w, rng = self.w, self.w.rng
        span = max(w.now - self.created - 6 * HOUR, HOUR)
        at = self.created + rng.uniform(0.2, 0.6) * min(span, 120 * DAY)
        self.give_subscriber_and_imei()
        self.premium = rng.random() < 0.005
        number_pk, number = w.new_number(at - rng.uniform(DAY, 90 * DAY))

        def activate() -> None:
            self.state, self.number_id, self.number, self.services = "active", number_pk, number, ACTIVATION_SERVICES

        who = w.person()
        t = self.command("activate", "Activation", at, who, {"imei": self.imei, "geo_nos": number}, change=activate)
        if rng.random() < 0.04:  # posted to the customer by a despatch order, before it was added
            w.order(self.created - rng.uniform(DAY, 4 * DAY), "despatched", name=self.name, sim_id=self.id,
                    iccid=self.iccid, settled=self.created)
        # Later steps at random times from then until a few hours ago, in order, none before the last settled.
        later = self.plan(final)
        last = w.now - 2 * HOUR * (len(later) + 1)
        for step, when in zip(later, sorted(rng.uniform(t, max(t, last)) for _ in later), strict=True):
            t = self.run(step, max(when, t + 60))
        if final in ("active", "suspended") and rng.random() < 0.015:
            self.start_in_flight()
        if rng.random() < 0.002:
            self.recheck = w.now + rng.uniform(60, 600)

    def plan(self, final: str) -> list[str]:
        """The steps after activation that lead to `final`: services changed, a number changed,
        suspended for a while, aql asked by staff and by the drift sweep, with some failures and
        refusals on the way."""
        rng = self.w.rng
        plan = ["drift"] * rng.choices((0, 1, 2), weights=(4, 4, 2))[0]
        for step, chance in (("add_int_calling", 0.12), ("add_int_roaming", 0.015), ("remove_sms", 0.03),
                             ("changegeo", 0.02), ("ask", 0.15), ("suspend_reactivate", 0.06),
                             ("failed_roaming", 0.02), ("refused", 0.02), ("not_sent", 0.003)):
            if rng.random() < chance:
                plan.append(step)
        rng.shuffle(plan)
        if final == "suspended":
            plan.append("suspend")
        elif final == "terminated":
            plan += ["suspend", "deactivate"] if rng.random() < 0.3 else ["deactivate"]
        return [part for step in plan for part in (["suspend", "reactivate"] if step == "suspend_reactivate"
                                                   else [step])]

    def run(self, step: str, t: float) -> float:
        """One planned step at time t; returns when it settled."""
        w = self.w
        who = w.person()
        geo = {"geo_nos": self.number}

        def services(add: tuple[str, ...] = (), remove: tuple[str, ...] = ()):
            def change() -> None:
                on = (set(self.services) | set(add)) - set(remove)
                self.services = tuple(s for s in SERVICE_ORDER if s in on)
            return change

        def state(new: str):
            def change() -> None:
                self.state = new
            return change

        if step == "add_int_calling":
            return self.command("addservice", "Add services", t, who, {**geo, "services": ["int_calling"]},
                                change=services(add=("int_calling",)))
        if step == "add_int_roaming":
            return self.command("addservice", "Add services", t, who, {**geo, "services": ["int_roaming"]},
                                change=services(add=("int_roaming",)))
        if step == "failed_roaming":
            return self.command("addservice", "Add services", t, who, {**geo, "services": ["int_roaming"]},
                                outcome="failed")
        if step == "remove_sms":
            return self.command("removeservice", "Remove services", t, who, {**geo, "services": ["mo_sms"]},
                                change=services(remove=("mo_sms",)))
        if step == "changegeo":
            new_pk, new = w.new_number(t - DAY)

            def change() -> None:
                self.number_id, self.number = new_pk, new  # the old number goes back to the pool

            return self.command("changegeo", "Change number", t, who, {**geo, "new_geo_nos": new}, change=change)
        if step == "ask":
            self.query(t, who)
            return t + 1
        if step == "drift":
            self.query(t, w.system())
            self.checked = t
            return t + 1
        if step == "reactivate":
            return self.command("reactivate", "Reactivate", t, who, geo, change=state("active"))
        if step == "refused":
            return self.command("changegeo", "Change number", t, who, {**geo, "new_geo_nos": "441130000000"},
                                outcome="rejected")
        if step == "not_sent":
            return self.command("suspend", "Suspend", t, who, geo, outcome="not_sent")
        if step == "suspend":
            return self.command("suspend", "Suspend", t, who, geo, change=state("suspended"))
        if step == "deactivate":
            def terminate() -> None:
                self.state, self.services, self.number_id, self.number = "terminated", (), None, None

            settled = self.command("deactivate", "Terminate", t, who, geo, change=terminate)
            self.terminated = settled
            if w.rng.random() < 0.4:  # erased since, by hand or by retention: the subscriber's row is gone
                before = self.snapshot()
                assert w.t["subscriber"].rows[-1][0] == self.subscriber_id  # this story's, the last made
                w.t["subscriber"].rows.pop()
                self.subscriber_id = None
                w.event(min(settled + w.rng.uniform(DAY, 30 * DAY), w.now - HOUR), w.person(), self.id, None,
                        "erased", "The subscriber's personal details were erased.", before, self.snapshot())
            return settled
        raise ValueError(step)

    def start_in_flight(self) -> None:
        """The last command is still with aql: pending (polled) or unknown (reconciled); some need a person."""
        w, rng = self.w, self.w.rng
        age = min(3600 * rng.expovariate(1 / 8), 5 * DAY)
        at = min(max(w.now - max(age, 120), self.updated + 60), w.now - 60)  # after what it did before
        age = w.now - at
        who = w.person()
        if self.state == "suspended":
            command, label = rng.choice((("reactivate", "Reactivate"), ("reactivate", "Reactivate"),
                                         ("deactivate", "Terminate")))
            params = {"geo_nos": self.number}
        else:
            command, label, params = rng.choice((
                ("suspend", "Suspend", {"geo_nos": self.number}),
                ("addservice", "Add services", {"geo_nos": self.number, "services": ["int_roaming"]}),
                ("removeservice", "Remove services", {"geo_nos": self.number, "services": ["mt_sms"]}),
                ("deactivate", "Terminate", {"geo_nos": self.number})))
        unknown = rng.random() < 0.15
        attention = age > DAY or (unknown and rng.random() < 0.4)
        pk = self.w.request(self, command, at, who, state="unknown" if unknown else "pending", params=params,
                            settled=None, reply="no answer: read timed out" if unknown else "status: 200",
                            next_poll=w.now + rng.uniform(300, HOUR), polls=int(age // (2 * HOUR)),
                            attention=attention)
        snap = self.snapshot()
        w.event(at, who, self.id, pk, "sending", f"{label} sent.", snap, snap)
        if unknown:
            w.event(at + 30, (None, "system", "worker"), self.id, pk, "unknown",
                    f"{label}: no answer from aql (read timed out).", snap, snap)
        if attention:
            w.event(min(at + DAY, w.now - 30), (None, "system", "worker"), self.id, pk, "attention",
                    f"{label} has been in progress for a day: aql has not finished it.", snap, snap)
        self.updated = max(self.updated, at)

    def write(self) -> None:
        """The SIM's own row, as its story left it."""
        w = self.w
        on = set(self.services)
        w.t["sim"].rows.append((
            self.id, self.iccid, self.iccid[::-1], self.state, self.imei, self.number_id, self.subscriber_id,
            *(name in on for name in SERVICE_ORDER), self.premium,
            None if self.checked is None else w.stamp(self.checked),
            None if self.recheck is None else w.stamp(self.recheck),
            None if self.terminated is None else w.stamp(self.terminated), None, self.drift_at(),
            w.stamp(self.created), w.stamp(self.updated)))

    def drift_at(self) -> str | None:
        """When the drift sweep last took the SIM, as a day-long sweep leaves it: a live SIM within
        the last day; a terminated one (never taken again) half never, half before it ended, so they
        lie at the front of the sweep's order, where its index must skip them."""
        w = self.w
        if self.terminated is None:
            return w.stamp(w.now - w.rng.uniform(60, DAY))
        return None if w.rng.random() < 0.5 else w.stamp(self.terminated - w.rng.uniform(HOUR, 30 * DAY))


# --- the run ---------------------------------------------------------------------------------

WRITE_ORDER = ("number", "subscriber", "sim", "request", "event", "order", "order_event", "audit", "product", "stock")


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


@contextmanager
def bare_tables(tables: list[str]) -> Iterator[None]:
    """Load into tables without their secondary indexes, then make each again from its own
    definition (as the migrations left it): one sort per index instead of a random insert per
    row and index. Primary keys and UNIQUE constraints stay; so do triggers (they keep counts)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                           "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                           [tables])
        else:  # the indexes of UNIQUE constraints have no `sql` and cannot be dropped
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                           "AND tbl_name IN (SELECT value FROM json_each(%s))", [json.dumps(tables)])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:  # even after a failure: the database keeps its indexes
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
        print(f"  {len(indexes)} indexes made again in {time.perf_counter() - started:.1f} s", flush=True)


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
