"""The world bench/seed.py writes: N SIMs made a chunk at a time, with their numbers, subscribers,
journal rows and audit events, the despatch orders, the general audit trail and the stock levels."""

import json
import random
import time
from itertools import accumulate

from bench.seed_story import Story
from bench.seed_tables import Table
from bench.seed_values import (
    AREAS,
    DAY,
    FIRST_NAMES,
    ICCID_PREFIX,
    INWARD_LETTERS,
    LAST_NAMES,
    OUTWARD,
    PRODUCTS,
    SERVICE_ORDER,
    STATES,
    STREETS,
    TOWNS,
    YEAR,
    luhn,
)
from sims.lifecycle import TWO_STEP  # the registry's two-step commands


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

