"""The simulator's vocabulary, its records, the clock, and the helpers every endpoint uses.

`SimulatorState` holds all of it behind one lock. The USIM gateway's rules (`usim`), the
despatch endpoint's (`despatch`) and the control endpoints (`control`) are mixins on top of
it, put together as `FakeAql` in `core`.
"""

from __future__ import annotations

import hmac
import random
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stdnum import luhn

from aql.fake.estate import Estate
from aql.fake.wire import _redact_query, _without_password

USIM_PATH = "/mobile/configure_sim.php"
DESPATCH_PATH = "/mobile/despatch_sim.php"
CONTROL_PREFIX = "/_aqlsim/"

FIRST_REQUEST_ID = 117234  # the spec's example id

SIM_STATES = ("unused", "pending", "active", "suspended", "terminated")
ORDER_STATES = ("processing", "despatched", "cancelled")
SERVICES = ("int_roaming", "int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms")
# Services that need voice or SMS, so a data-only SIM cannot have them (63034). We count
# int_calling among them: international calling is a voice service.
VOICE_AND_SMS = frozenset({"int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms"})
# What a SIM has once activated: calls and texts, nothing international.
ACTIVATION_SERVICES = frozenset({"mo_voice", "mt_voice", "mo_sms", "mt_sms"})

ICCID_RE = re.compile(r"[0-9]{19,20}")  # ASCII digits only (\d would take any script's)


def _geo_numbers() -> list[str]:
    return [str(44113000000 + i) for i in range(200)]


@dataclass
class Account:
    """The reseller's account at aql, as the simulator knows it."""

    username: str = "demo"
    password: str = "demo-password"
    # The first of the account's ICCIDs. Real ICCIDs end with a Luhn check digit (ITU-T E.118) and ours
    # are checked for it; the spec's example, 1111111111000000001, fails that check, so it is not here.
    iccid_first: str = "8944120000000000006"
    iccid_count: int = 500  # iccid_first's digits but the last, +1, +2 ..., each with its check digit
    geo_numbers: list[str] = field(default_factory=_geo_numbers)  # allocated to the account
    stock: dict[str, int] = field(default_factory=lambda: {"AQL-123": 2031, "ABC-456": 20000})
    data_iccids: set[str] = field(default_factory=set)  # data-only: voice/SMS services -> 63034
    misconfigured_iccids: set[str] = field(default_factory=set)  # activate -> 63014
    foreign_imeis: set[str] = field(default_factory=set)  # activate with one -> 63021
    estate: Estate = field(default_factory=Estate)  # SIMs in use before we first look (none by default)

    def __repr__(self) -> str:  # never the password
        return f"Account(username={self.username!r}, iccid_first={self.iccid_first!r})"

    def iccids(self) -> Iterator[str]:
        """The account's ICCID range, in order: serials counting up, each with its check digit."""
        first, width = int(self.iccid_first[:-1]), len(self.iccid_first) - 1
        for i in range(self.iccid_count):
            body = str(first + i).zfill(width)
            yield body + luhn.calc_check_digit(body)

    def in_range(self, iccid: str) -> bool:
        """Whether `iccid` is one of the account's range."""
        if len(iccid) != len(self.iccid_first) or not (iccid.isascii() and iccid.isdigit()) or not luhn.is_valid(iccid):
            return False
        return 0 <= int(iccid[:-1]) - int(self.iccid_first[:-1]) < self.iccid_count


@dataclass
class Faults:
    """What goes wrong, how often, and how slowly things happen. Change fields at any time."""

    seed: int = 0
    latency: float = 0.0  # seconds added before every reply
    congestion_rate: float = 0.0  # share of commands (not checkstatus/queryiccid) answered 63027
    fail_rate: float = 0.0  # share of two-step requests that end 'failed' (decided at queue time)
    http500_rate: float = 0.0  # share of replies that are an HTTP 500 page; NOT executed
    malformed_rate: float = 0.0  # share of replies with a garbled body; executed
    hang_rate: float = 0.0  # share of requests executed, then the reply held hang_seconds
    hang_seconds: float = 30.0
    settle_after: float = 60.0  # seconds before a two-step request leaves 'pending'
    # Seconds before a one-step command (assigngeo, changegeo) shows in queryiccid. The spec says
    # at once (0); a slow gateway was seen finishing them later, after the reply was lost.
    one_step_after: float = 0.0
    poll_again_within: float = 0.0  # a checkstatus sooner than this after queueing gets 63022
    despatch_after: float = 60.0  # seconds before an order goes processing -> despatched
    cancel_rate: float = 0.0  # share of orders that end 'cancelled' (decided at despatch time)
    unsupported_services: frozenset[str] = frozenset()  # the spec's "red rows": -> 63032


@dataclass
class SimRecord:
    """One SIM as aql sees it."""

    iccid: str
    state: str = "unused"
    geo_nos: str | None = None
    services: set[str] = field(default_factory=set)
    premium: bool = False
    pending_request: int | None = None  # the two-step request in flight, if any


@dataclass
class RequestRecord:
    """A queued two-step request. Its outcome is decided when queued and shown once settled."""

    id: int
    command: str
    iccid: str
    params: dict[str, str]  # as received, without the password
    created: float
    outcome: str  # 'success' or 'failed'
    settled: bool = False

    @property
    def state(self) -> str:
        """What checkstatus says: 'pending' until settled, then the outcome."""
        return self.outcome if self.settled else "pending"


@dataclass
class OrderRecord:
    """A despatch order."""

    order_ref: str
    name: str
    company: str
    address: str
    postcode: str
    contact_no: str
    iccid: str = ""  # empty until despatched
    status: str = "processing"
    created: float = 0.0
    product_code: str = ""  # the batch its stock came from


@dataclass
class Call:
    """One request the simulator received. Never holds the password."""

    endpoint: str  # 'usim', 'despatch' or 'control'
    method: str
    path: str
    query_string: str  # with any password value replaced by ***
    command: str
    params: dict[str, Any]  # without the password
    at: float  # simulator time


@dataclass(frozen=True)
class _Draw:
    """The faults one request drew."""

    http500: bool
    malformed: bool
    hang: bool
    congested: bool


# Each kind of fault draws from its own seeded stream, so turning one fault on or off does
# not change which requests another fault hits.
_FAULT_STREAMS = ("http500", "malformed", "hang", "congestion", "fail", "cancel")


class SimulatorState:
    """The account, the faults, the clock and every record, behind one lock."""

    def __init__(self, account: Account | None = None, faults: Faults | None = None) -> None:
        self.account = account or Account()
        self.faults = faults or Faults()
        self.calls: list[Call] = []
        self._lock = threading.RLock()
        self._offset = 0.0
        self._sims: dict[str, SimRecord] = {}
        self._geo_owner: dict[str, str] = {}  # geographic number -> ICCID holding or reserving it
        self._requests: dict[int, RequestRecord] = {}
        self._unsettled: deque[int] = deque()  # request ids still pending, oldest first
        self._deferred: deque[tuple[float, str, str]] = deque()  # one-step changes to come: (when, iccid, number)
        self._next_id = FIRST_REQUEST_ID
        self._orders: dict[str, OrderRecord] = {}
        self._forced: dict[str, list[list[int]]] = {}  # by command, or "command iccid" (_key)
        self._lost: dict[str, int] = {}  # replies to hold back, by command or "command iccid"
        self._rng_seed: int | None = None
        self._rngs: dict[str, random.Random] = {}

    # --- time ---

    def now(self) -> float:
        """Simulator time: wall-clock time plus everything `advance()` added."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Skip ahead; requests and orders that fall due settle on the next read."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds

    # --- helpers that need the state (call with the lock held) ---

    def _opening_checks(self, params: dict[str, str] | None, commands: frozenset[str],
                        codes: tuple[int, int, int]) -> list[int] | None:
        """Both endpoints' first checks, in order: a readable request, our account, a command it
        knows, then any code a test forced. `codes` are the endpoint's own for the first three.
        Returns the codes to answer with, or None to go on."""
        unreadable, unauthenticated, unknown_command = codes
        if params is None:
            return [unreadable]
        if not self._authenticated(params):
            return [unauthenticated]
        if params.get("command", "") not in commands:
            return [unknown_command]
        return self._take_forced(params["command"], params.get("iccid", ""))

    def _authenticated(self, params: dict[str, str]) -> bool:
        username, password = params.get("username", ""), params.get("password", "")
        return bool(username and password) and (
            hmac.compare_digest(username.encode(), self.account.username.encode())
            & hmac.compare_digest(password.encode(), self.account.password.encode())
        )

    def _on_account(self, iccid: str) -> bool:
        return iccid in self._sims or self.account.in_range(iccid) or self.account.estate.place(iccid) is not None

    def _sim_record(self, iccid: str) -> SimRecord:
        """The live record of a SIM on the account, made on first sight: as the estate had it, or unused."""
        if iccid not in self._sims:
            held = self.account.estate.sim(iccid)
            sim = self._sims[iccid] = SimRecord(iccid)
            if held is not None:
                sim.state, sim.services, sim.premium = held.state, set(held.services), held.premium
                self._set_geo(sim, held.geo_nos)
        return self._sims[iccid]

    def _set_geo(self, sim: SimRecord, number: str | None) -> None:
        """Give `sim` this geographic number (or none), releasing the one it had."""
        if sim.geo_nos is not None and self._geo_owner.get(sim.geo_nos) == sim.iccid:
            del self._geo_owner[sim.geo_nos]
        sim.geo_nos = number
        if number is not None:
            self._geo_owner[number] = sim.iccid

    def _take_forced(self, command: str, iccid: str) -> list[int] | None:
        for key in (_key(command, iccid), command):
            if queue := self._forced.get(key):
                return queue.pop(0)
        return None

    def _take_lost(self, params: dict[str, str] | None) -> bool:
        """Whether this call's reply is to be held back (lose_reply), counting it off."""
        if not params:
            return False
        for key in (_key(params.get("command", ""), params.get("iccid", "")), params.get("command", "")):
            if self._lost.get(key, 0) > 0:
                self._lost[key] -= 1
                return True
        return False

    def _record(self, endpoint: str, method: str, path: str, query_string: str,
                params: dict[str, Any] | None) -> None:
        self.calls.append(Call(
            endpoint=endpoint,
            method=method,
            path=path,
            query_string=_redact_query(query_string),
            command=str((params or {}).get("command", "")) if endpoint != "control" else "",
            params=_without_password(params or {}),
            at=self.now(),
        ))

    def _rng(self, stream: str) -> random.Random:
        """The seeded random stream for one kind of fault (reseeded when faults.seed changes)."""
        if self._rng_seed != self.faults.seed:
            self._rng_seed = self.faults.seed
            self._rngs = {name: random.Random(f"{self._rng_seed}:{name}") for name in _FAULT_STREAMS}
        return self._rngs[stream]

    def _chance(self, stream: str, rate: float) -> bool:
        return self._rng(stream).random() < rate

    def _draw(self) -> _Draw:
        """Every request draws every fault once, so the sequence depends only on the seed."""
        f = self.faults
        return _Draw(
            http500=self._chance("http500", f.http500_rate),
            malformed=self._chance("malformed", f.malformed_rate),
            hang=self._chance("hang", f.hang_rate),
            congested=self._chance("congestion", f.congestion_rate),
        )


def _key(command: str, iccid: str = "") -> str:
    """Where a forced answer or a lost reply waits: for one SIM, or for any."""
    return f"{command} {iccid}" if iccid else command
