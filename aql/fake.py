"""A stateful simulator of aql's two endpoints: the USIM gateway and SIM despatch.

`FakeAql` is a WSGI app that answers ``/mobile/configure_sim.php`` and
``/mobile/despatch_sim.php`` the way ``spec/aql-usim-gateway.txt`` describes, keeping the
account's SIMs, geographic numbers, requests, orders and stock in memory. It enforces the
documented rules (every applicable error code, in the order checked), settles two-step
requests and despatch orders after a while, and injects seeded, repeatable faults: latency,
congestion, failed requests, HTTP 500 pages, garbled replies, hung replies, cancelled orders.

Time is the wall clock plus an offset that `advance()` moves forward, so a test (or a
process driving the simulator through ``/_aqlsim/advance``) can skip ahead without sleeping.
Other processes control it through small JSON endpoints under ``/_aqlsim/``.

Where the spec is silent or self-contradictory, this module says what it assumes, next to
the code that assumes it. Standard library only: it must run anywhere the tests run.
"""

from __future__ import annotations

import hmac
import json
import random
import re
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from socketserver import TCPServer, ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, unquote_plus
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.types import StartResponse, WSGIEnvironment

from aql.redact import redact

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

TWO_STEP = frozenset({"activate", "deactivate", "suspend", "reactivate", "addservice", "removeservice"})
ONE_STEP = frozenset({"assigngeo", "changegeo"})
QUERIES = frozenset({"queryiccid", "checkstatus"})
USIM_COMMANDS = TWO_STEP | ONE_STEP | QUERIES
DESPATCH_COMMANDS = frozenset({"despatch", "query", "check_stock"})

DESPATCH_TEXT = {
    0: "Successful",
    1: "Authentication Error",
    2: "Missing parameters",
    3: "Insufficient SIMs on account",
    8: "Unrecognised Command",
    9: "Undefined error",
}

# The code a command gets for each state it cannot run in (a state not listed is allowed).
# "Not active" (63017) where the SIM was never activated, or is suspended and the command
# needs it active; "invalid state" (63026) where it is mid-change, gone, or already there.
WRONG_STATE: dict[str, dict[str, int]] = {
    "activate": {"pending": 63026, "active": 63026, "suspended": 63026, "terminated": 63026},
    "deactivate": {"unused": 63017, "pending": 63026, "terminated": 63026},
    "suspend": {"unused": 63017, "pending": 63026, "suspended": 63026, "terminated": 63026},
    "reactivate": {"unused": 63017, "pending": 63026, "active": 63026, "terminated": 63026},
    **{
        command: {"unused": 63017, "suspended": 63017, "pending": 63026, "terminated": 63026}
        for command in ("addservice", "removeservice", "assigngeo", "changegeo")
    },
}

ICCID_RE = re.compile(r"\d{19,20}")
IMEI_RE = re.compile(r"\d{15}")
GEO_RE = re.compile(r"44\d{9,10}")  # a UK number in international form, 11 or 12 digits
# A UK postcode, the space between outward and inward code optional ("LS101JQ", "LS10 1JQ").
POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.IGNORECASE)
CONTACT_RE = re.compile(r"\+?\d{10,15}")
SERVICE_KEY_RE = re.compile(r"service\[(\w*)\]")
PASSWORD_PARAM_RE = re.compile(r"(password=)[^&\s\"']*", re.IGNORECASE)

HTTP_500_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
    b"<body><h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error and was unable to complete your request.</p>\n"
    b"</body></html>\n"
)


# --- state --------------------------------------------------------------------------------


def _geo_numbers() -> list[str]:
    return [str(44113000000 + i) for i in range(200)]


@dataclass
class Account:
    """The reseller's account at aql, as the simulator knows it."""

    username: str = "demo"
    password: str = "demo-password"
    iccid_first: str = "1111111111000000001"  # the spec's example ICCID is on the account
    iccid_count: int = 500  # ICCIDs iccid_first, +1, +2 ... (same length, zero-padded)
    geo_numbers: list[str] = field(default_factory=_geo_numbers)  # allocated to the account
    stock: dict[str, int] = field(default_factory=lambda: {"AQL-123": 2031, "ABC-456": 20000})
    data_iccids: set[str] = field(default_factory=set)  # data-only: voice/SMS services -> 63034
    misconfigured_iccids: set[str] = field(default_factory=set)  # activate -> 63014
    foreign_imeis: set[str] = field(default_factory=set)  # activate with one -> 63021

    def __repr__(self) -> str:  # never the password
        return f"Account(username={self.username!r}, iccid_first={self.iccid_first!r})"

    def iccids(self) -> Iterator[str]:
        """The account's ICCID range, in order."""
        first, width = int(self.iccid_first), len(self.iccid_first)
        for i in range(self.iccid_count):
            yield str(first + i).zfill(width)

    def in_range(self, iccid: str) -> bool:
        """Whether `iccid` is one of the account's range."""
        if len(iccid) != len(self.iccid_first) or not iccid.isdigit():
            return False
        return 0 <= int(iccid) - int(self.iccid_first) < self.iccid_count


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


@dataclass
class _Reply:
    status: str
    content_type: str
    body: bytes


# Each kind of fault draws from its own seeded stream, so turning one fault on or off does
# not change which requests another fault hits.
_FAULT_STREAMS = ("http500", "malformed", "hang", "congestion", "fail", "cancel")


# --- the simulator ------------------------------------------------------------------------


class FakeAql:
    """aql's USIM gateway and despatch endpoint, in memory. A WSGI app; thread-safe."""

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
        self._next_id = FIRST_REQUEST_ID
        self._orders: dict[str, OrderRecord] = {}
        self._forced: dict[str, list[list[int]]] = {}
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

    # --- state, for tests and the demo ---

    def put_sim(
        self,
        iccid: str,
        *,
        state: str = "unused",
        geo_nos: str | None = None,
        services: Iterable[str] = (),
        premium: bool = False,
    ) -> None:
        """Set a SIM's state outright (and put it on the account if it is outside the range)."""
        services = set(services)
        if not ICCID_RE.fullmatch(iccid):
            raise ValueError(f"not an ICCID: {iccid!r}")
        if state not in SIM_STATES:
            raise ValueError(f"unknown state {state!r}")
        if not services <= set(SERVICES):
            raise ValueError(f"unknown services {sorted(services - set(SERVICES))}")
        with self._lock:
            if geo_nos is not None and self._geo_owner.get(geo_nos, iccid) != iccid:
                raise ValueError(f"{geo_nos} is already held by {self._geo_owner[geo_nos]}")
            sim = self._sim_record(iccid)
            self._set_geo(sim, geo_nos)
            sim.state, sim.services, sim.premium, sim.pending_request = state, services, premium, None

    def sim(self, iccid: str) -> SimRecord:
        """A copy of the SIM's record. KeyError if the ICCID is not on the account."""
        with self._lock:
            self._settle()
            if not self._on_account(iccid):
                raise KeyError(iccid)
            sim = self._sim_record(iccid)
            return replace(sim, services=set(sim.services))

    def request(self, request_id: int) -> RequestRecord:
        """A copy of a two-step request's record. KeyError if unknown."""
        with self._lock:
            self._settle()
            req = self._requests[request_id]
            return replace(req, params=dict(req.params))

    def put_order(
        self,
        order_ref: str,
        *,
        name: str,
        company: str,
        address: str,
        postcode: str,
        contact_no: str,
        iccid: str = "",
        status: str = "processing",
    ) -> None:
        """Record an order outright (no stock is taken). A 'processing' one despatches in time."""
        if status not in ORDER_STATES:
            raise ValueError(f"unknown order status {status!r}")
        with self._lock:
            self._orders[order_ref] = OrderRecord(
                order_ref, name, company, address, postcode, contact_no, iccid, status, self.now()
            )

    def order(self, order_ref: str) -> OrderRecord:
        """A copy of an order's record. KeyError if unknown."""
        with self._lock:
            self._settle()
            return replace(self._orders[order_ref])

    def count(self, command: str) -> int:
        """How many calls of `command` arrived (either endpoint)."""
        with self._lock:
            return sum(1 for c in self.calls if c.command == command and c.endpoint != "control")

    def force(self, command: str, codes: list[int], times: int = 1) -> None:
        """Answer the next `times` calls of `command` with exactly `codes`, without executing.

        USIM commands reply ``status: c1,c2``; despatch commands ``<code>: <text>`` (the first
        code). This reaches the codes the rules never produce, such as 400, 500 and 63033.
        """
        if not codes:
            raise ValueError("force needs at least one code")
        with self._lock:
            self._forced.setdefault(command, []).extend([list(codes)] * times)

    def state(self) -> dict[str, Any]:
        """Everything worth seeing, as JSON-ready data (what ``GET /_aqlsim/state`` returns)."""
        with self._lock:
            self._settle()
            return {
                "now": self.now(),
                "sims": [_sim_json(s) for s in self._sims.values() if s.state != "unused"],
                "requests": [_request_json(r) for r in self._requests.values()],
                "orders": [asdict(o) for o in self._orders.values()],
                "stock": dict(self.account.stock),
                "calls": dict(Counter(c.command for c in self.calls if c.endpoint != "control")),
                "faults": _faults_json(self.faults),
            }

    # --- WSGI ---

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        """Route to the USIM gateway, the despatch endpoint or the control endpoints."""
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(CONTROL_PREFIX):
            reply = self._control(environ, path, method)
        elif path in (USIM_PATH, DESPATCH_PATH):
            reply = self._gateway(environ, path, method)
        else:
            reply = _Reply("404 Not Found", "text/plain; charset=utf-8", b"Not Found\n")
        start_response(
            reply.status, [("Content-Type", reply.content_type), ("Content-Length", str(len(reply.body)))]
        )
        return [reply.body]

    def _gateway(self, environ: WSGIEnvironment, path: str, method: str) -> _Reply:
        """One request to either aql endpoint: faults around the endpoint's own answer."""
        endpoint = "usim" if path == USIM_PATH else "despatch"
        if method not in ("GET", "POST"):
            return _Reply("405 Method Not Allowed", "text/plain; charset=utf-8", b"Method Not Allowed\n")
        params = _read_form(environ)
        if self.faults.latency > 0:
            time.sleep(self.faults.latency)
        with self._lock:
            self._settle()
            self._record(endpoint, method, path, environ.get("QUERY_STRING", ""), params)
            draw = self._draw()
            if draw.http500:  # the server fell over before doing anything
                return _Reply("500 Internal Server Error", "text/html; charset=utf-8", HTTP_500_PAGE)
            usim = endpoint == "usim"
            text = self._usim(params, congested=draw.congested) if usim else self._despatch(params)
        if draw.malformed:
            text = _garble(text)
        if draw.hang:  # done, but the answer is stuck: the caller cannot know it was done
            time.sleep(self.faults.hang_seconds)
        return _Reply("200 OK", "text/plain; charset=utf-8", text.encode("utf-8"))

    # --- the USIM gateway ---

    def _usim(self, params: dict[str, str] | None, *, congested: bool) -> str:
        """The USIM gateway's answer: checks in the documented order, then execution."""
        if params is None:
            return _status(400)
        if not self._authenticated(params):
            return _status(401)
        command = params.get("command", "")
        if command not in USIM_COMMANDS:
            return _status(600)
        forced = self._take_forced(command)
        if forced is not None:
            return _status(*forced)
        if command == "checkstatus":
            return self._checkstatus(params.get("id", ""))
        iccid = params.get("iccid", "")
        if not ICCID_RE.fullmatch(iccid):
            return _status(63001)
        if not self._on_account(iccid):
            return _status(63003)
        sim = self._sim_record(iccid)
        if command == "queryiccid":
            return self._queryiccid(sim)
        codes = self._check(command, sim, params)
        if codes:
            return _status(*codes)
        if congested:
            return _status(63027)
        return self._execute(command, sim, params)

    def _check(self, command: str, sim: SimRecord, params: dict[str, str]) -> list[int]:
        """Every code that refuses `command` on `sim`, in the order checked; [] to go ahead.

        A wrong state stops the checks (the fields cannot matter); the field checks are all
        collected, so the caller can fix every field at once.
        """
        if command in TWO_STEP and sim.pending_request is not None:
            return [63026]  # one two-step request at a time per SIM
        wrong_state = WRONG_STATE[command].get(sim.state)
        if wrong_state is not None:
            return [wrong_state]
        codes: list[int] = []
        if command == "activate":
            codes += self._check_activate(sim, params)
        elif command == "assigngeo":
            if sim.geo_nos is not None:
                codes.append(63203)
            codes += self._check_new_number(sim, params.get("geo_nos", ""))
        elif command == "changegeo":
            codes += self._check_own_number(sim, params.get("geo_nos", ""))
            codes += self._check_new_number(sim, params.get("new_geo_nos", ""))
        else:
            codes += self._check_own_number(sim, params.get("geo_nos", ""))
            if command in ("addservice", "removeservice"):
                codes += self._check_services(sim, params)
        return list(dict.fromkeys(codes))  # each code once, first place kept

    def _check_activate(self, sim: SimRecord, params: dict[str, str]) -> list[int]:
        codes: list[int] = []
        imei = params.get("imei", "")
        if not (IMEI_RE.fullmatch(imei) and _luhn_ok(imei)):
            codes.append(63007)
        elif imei in self.account.foreign_imeis:
            codes.append(63021)
        codes += self._check_new_number(sim, params.get("geo_nos", ""))
        name = params.get("subname", "").strip()
        if not name or len(name) > 100 or any(ch.isdigit() for ch in name):
            codes.append(63028)
        # The spec's table names the field "subadress", its example URL sends "subaddress".
        # The real gateway's spelling is unknown, so either is accepted.
        address = (params.get("subaddress", "").strip() or params.get("subadress", "").strip())
        if not address or len(address) > 200:
            codes.append(63029)
        if not POSTCODE_RE.fullmatch(params.get("subpostcode", "").strip()):
            codes.append(63030)
        if not CONTACT_RE.fullmatch(params.get("subcontactno", "").strip()):
            codes.append(63031)
        if sim.iccid in self.account.misconfigured_iccids:
            codes.append(63014)
        return codes

    def _check_new_number(self, sim: SimRecord, number: str) -> list[int]:
        """A geographic number about to be given to `sim`."""
        if not GEO_RE.fullmatch(number) or number.startswith("447") or number not in self.account.geo_numbers:
            return [63201]
        if self._geo_owner.get(number, sim.iccid) != sim.iccid:
            return [63204]
        return []

    def _check_own_number(self, sim: SimRecord, number: str) -> list[int]:
        """The geographic number a command says `sim` has."""
        if sim.geo_nos is None:
            return [63202]
        if number != sim.geo_nos:
            return [63201]
        return []

    def _check_services(self, sim: SimRecord, params: dict[str, str]) -> list[int]:
        names, unknown = _services_named(params)
        if not names and not unknown:
            return [63023]
        codes: list[int] = []
        if unknown:
            codes.append(63004)
        if names & self.faults.unsupported_services:
            codes.append(63032)
        if sim.iccid in self.account.data_iccids and names & VOICE_AND_SMS:
            codes.append(63034)
        return codes

    def _execute(self, command: str, sim: SimRecord, params: dict[str, str]) -> str:
        """Do a command that passed every check."""
        if command in ONE_STEP:
            self._set_geo(sim, params["geo_nos" if command == "assigngeo" else "new_geo_nos"])
            return _lines(status=200, requeststate="success", iccid=sim.iccid)
        fails = self._chance("fail", self.faults.fail_rate)
        req = RequestRecord(
            id=self._next_id,
            command=command,
            iccid=sim.iccid,
            params=_without_password(params),
            created=self.now(),
            outcome="failed" if fails else "success",
        )
        self._next_id += 1
        self._requests[req.id] = req
        self._unsettled.append(req.id)
        sim.pending_request = req.id
        if command == "activate":  # in transition, the number reserved to it
            sim.state = "pending"
            self._set_geo(sim, params["geo_nos"])
        return _lines(status=200, id=req.id)

    def _queryiccid(self, sim: SimRecord) -> str:
        reply: dict[str, object] = {"status": 200, "iccid": sim.iccid, "iccidstate": sim.state}
        if sim.state in ("active", "suspended"):
            reply |= {
                "geo_nos": sim.geo_nos or "",
                "int_roaming": int("int_roaming" in sim.services),
                "int_call": int("int_calling" in sim.services),  # the spec's name for int_calling
                "premium": int(sim.premium),
            }
        return _lines(**reply)

    def _checkstatus(self, request_id: str) -> str:
        req = self._requests.get(int(request_id)) if request_id.isdigit() else None
        if req is None:
            return _status(63025)
        if self.now() < req.created + self.faults.poll_again_within:
            return _status(63022)
        return _lines(status=200, requeststate=req.state, iccid=req.iccid)

    # --- settling two-step requests and orders ---

    def _settle(self) -> None:
        """Finish every request and order whose time has come (called before any read)."""
        now = self.now()
        while self._unsettled:
            req = self._requests[self._unsettled[0]]
            if now < req.created + self.faults.settle_after:
                break
            self._unsettled.popleft()
            self._apply(req)
        for order in self._orders.values():
            if order.status == "processing" and now >= order.created + self.faults.despatch_after:
                self._despatch_order(order)

    def _apply(self, req: RequestRecord) -> None:
        """The network's answer to a two-step request arrives."""
        req.settled = True
        sim = self._sims.get(req.iccid)
        if sim is None or sim.pending_request != req.id:
            return  # put_sim() overwrote the SIM meanwhile
        sim.pending_request = None
        if req.outcome == "failed":
            if req.command == "activate":  # back to where it was, number released
                sim.state = "unused"
                self._set_geo(sim, None)
            return
        if req.command == "activate":
            sim.state = "active"
            data_only = sim.iccid in self.account.data_iccids
            sim.services = set() if data_only else set(ACTIVATION_SERVICES)
        elif req.command == "suspend":
            sim.state = "suspended"
        elif req.command == "reactivate":
            sim.state = "active"
        elif req.command == "deactivate":
            sim.state = "terminated"
            sim.services = set()
            self._set_geo(sim, None)
        elif req.command == "addservice":
            sim.services |= _services_named(req.params)[0]
        elif req.command == "removeservice":
            sim.services -= _services_named(req.params)[0]

    def _despatch_order(self, order: OrderRecord) -> None:
        """An order leaves the warehouse with the next unused SIM, or is cancelled."""
        cancelled = self._chance("cancel", self.faults.cancel_rate)
        iccid = None if cancelled else self._next_despatchable_iccid()
        if iccid is None:
            order.status = "cancelled"
        else:
            order.status, order.iccid = "despatched", iccid

    def _next_despatchable_iccid(self) -> str | None:
        taken = {o.iccid for o in self._orders.values() if o.iccid}
        for iccid in self.account.iccids():
            sim = self._sims.get(iccid)
            if iccid not in taken and (sim is None or (sim.state == "unused" and sim.pending_request is None)):
                return iccid
        return None

    # --- the despatch endpoint ---

    def _despatch(self, params: dict[str, str] | None) -> str:
        """The despatch endpoint's answer."""
        if params is None:  # no code for an unreadable request: the catch-all
            return _despatch_lines(9)
        if not self._authenticated(params):
            return _despatch_lines(1)
        command = params.get("command", "")
        if command not in DESPATCH_COMMANDS:
            return _despatch_lines(8)
        forced = self._take_forced(command)
        if forced is not None:
            return _despatch_lines(forced[0])
        order_ref = params.get("order_ref", "").strip()
        if not order_ref:
            return _despatch_lines(2)
        if command == "check_stock":
            return _despatch_lines(0, *(f"{code}:{qty}" for code, qty in self.account.stock.items()))
        if command == "query":
            order = self._orders.get(order_ref)
            if order is None:
                return _despatch_lines(9)
            return _despatch_lines(0, *(f"{key}:{getattr(order, key)}" for key in (
                "name", "company", "address", "postcode", "contact_no", "iccid", "status")))
        return self._place_order(order_ref, params)

    def _place_order(self, order_ref: str, params: dict[str, str]) -> str:
        values = {key: params.get(key, "").strip() for key in (
            "name", "company", "address", "postcode", "contact_no")}
        if not all(values[key] for key in ("name", "address", "postcode", "contact_no")):
            return _despatch_lines(2)  # company may be empty: a person at home has none
        if order_ref in self._orders:  # the spec is silent; we refuse, and make no second order
            return _despatch_lines(9)
        product = next((code for code, qty in self.account.stock.items() if qty > 0), None)
        if product is None:
            return _despatch_lines(3)
        self.account.stock[product] -= 1
        self._orders[order_ref] = OrderRecord(order_ref, **values, created=self.now(), product_code=product)
        return _despatch_lines(0)

    # --- the control endpoints ---

    def _control(self, environ: WSGIEnvironment, path: str, method: str) -> _Reply:
        """JSON endpoints for a driver in another process (the demo, end-to-end tests)."""
        name = path[len(CONTROL_PREFIX):].strip("/")
        routes: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
            "state": ("GET", lambda _payload: self.state()),
            "faults": ("POST", self._control_faults),
            "advance": ("POST", self._control_advance),
            "force": ("POST", self._control_force),
            "sims": ("POST", self._control_sims),
        }
        payload: Any = {}
        if method == "POST":
            try:
                payload = json.loads(_read_body(environ) or b"{}")
            except ValueError:
                payload = None
        with self._lock:
            self._record("control", method, path, environ.get("QUERY_STRING", ""),
                         payload if isinstance(payload, dict) else {})
        if name not in routes:
            return _json_reply("404 Not Found", {"error": f"no control endpoint {path}"})
        wanted, handler = routes[name]
        if method != wanted:
            return _json_reply("405 Method Not Allowed", {"error": f"{path} takes {wanted}"})
        if not isinstance(payload, dict):
            return _json_reply("400 Bad Request", {"error": "the body must be a JSON object"})
        try:
            return _json_reply("200 OK", handler(payload))
        except (KeyError, TypeError, ValueError) as exc:
            return _json_reply("400 Bad Request", {"error": f"{type(exc).__name__}: {exc}"})

    def _control_faults(self, payload: dict[str, Any]) -> dict[str, Any]:
        unknown = set(payload) - {f.name for f in fields(Faults)}
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        changes: dict[str, Any] = {}
        for key, value in payload.items():
            if key == "seed":
                changes[key] = int(value)
            elif key == "unsupported_services":
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise TypeError("unsupported_services is a list of service names")
                changes[key] = frozenset(value)
            else:
                changes[key] = float(value)
                if changes[key] < 0 or (key.endswith("_rate") and changes[key] > 1):
                    raise ValueError(f"{key} out of range: {value}")
        with self._lock:
            for key, value in changes.items():
                setattr(self.faults, key, value)
            return _faults_json(self.faults)

    def _control_advance(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.advance(float(payload["seconds"]))
        return {"now": self.now()}

    def _control_force(self, payload: dict[str, Any]) -> dict[str, Any]:
        codes = [int(code) for code in payload["codes"]]
        self.force(str(payload["command"]), codes, int(payload.get("times", 1)))
        return {"command": payload["command"], "codes": codes, "times": int(payload.get("times", 1))}

    def _control_sims(self, payload: dict[str, Any]) -> dict[str, Any]:
        iccid = str(payload["iccid"])
        self.put_sim(
            iccid,
            state=payload.get("state", "unused"),
            geo_nos=payload.get("geo_nos"),
            services=payload.get("services", ()),
            premium=bool(payload.get("premium", False)),
        )
        return _sim_json(self.sim(iccid))

    # --- helpers that need the state (call with the lock held) ---

    def _authenticated(self, params: dict[str, str]) -> bool:
        username, password = params.get("username", ""), params.get("password", "")
        return bool(username and password) and (
            hmac.compare_digest(username.encode(), self.account.username.encode())
            & hmac.compare_digest(password.encode(), self.account.password.encode())
        )

    def _on_account(self, iccid: str) -> bool:
        return iccid in self._sims or self.account.in_range(iccid)

    def _sim_record(self, iccid: str) -> SimRecord:
        """The live record of a SIM on the account, made (unused) on first sight."""
        if iccid not in self._sims:
            self._sims[iccid] = SimRecord(iccid)
        return self._sims[iccid]

    def _set_geo(self, sim: SimRecord, number: str | None) -> None:
        """Give `sim` this geographic number (or none), releasing the one it had."""
        if sim.geo_nos is not None and self._geo_owner.get(sim.geo_nos) == sim.iccid:
            del self._geo_owner[sim.geo_nos]
        sim.geo_nos = number
        if number is not None:
            self._geo_owner[number] = sim.iccid

    def _take_forced(self, command: str) -> list[int] | None:
        queue = self._forced.get(command)
        return queue.pop(0) if queue else None

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


# --- wire formats -------------------------------------------------------------------------


def _lines(**values: object) -> str:
    """A USIM reply: ``key: value`` lines."""
    return "".join(f"{key}: {value}\n" for key, value in values.items())


def _status(*codes: int) -> str:
    """A USIM status line: one code, or every code of a refusal, comma-separated."""
    return _lines(status=",".join(str(code) for code in codes))


def _despatch_lines(code: int, *extra: str) -> str:
    """A despatch reply: ``<code>: <text>``, then ``key:value`` lines."""
    text = DESPATCH_TEXT.get(code, DESPATCH_TEXT[9])
    return "".join(f"{line}\n" for line in (f"{code}: {text}", *extra))


def _garble(text: str) -> str:
    """A reply nobody can read: cut short, its separators gone, junk in front."""
    return "#~garbled~#" + text[: max(1, len(text) // 2)].replace(":", "")


def _services_named(params: dict[str, str]) -> tuple[set[str], set[str]]:
    """The known and the unknown service names among ``service[NAME]`` parameters."""
    known: set[str] = set()
    unknown: set[str] = set()
    for key in params:
        if key == "service" or key.startswith("service["):
            match = SERVICE_KEY_RE.fullmatch(key)
            name = match.group(1) if match else key
            (known if name in SERVICES else unknown).add(name)
    return known, unknown


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _read_form(environ: WSGIEnvironment) -> dict[str, str] | None:
    """The query string and form body merged (the body wins); None if not UTF-8 form data."""
    try:
        # PEP 3333 hands the query string over as Latin-1; the bytes underneath are UTF-8.
        query = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8")
        body = _read_body(environ).decode("utf-8")
        params = dict(parse_qsl(query, keep_blank_values=True, errors="strict"))
        params.update(parse_qsl(body, keep_blank_values=True, errors="strict"))
    except (UnicodeError, ValueError):
        return None
    return params


def _without_password(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key.lower() != "password"}


def _redact_query(query_string: str) -> str:
    """The query string with any password's value replaced by ***."""
    pieces = []
    for piece in query_string.split("&") if query_string else []:
        key = unquote_plus(piece.partition("=")[0], errors="replace")
        pieces.append("password=***" if key.lower() == "password" else piece)
    return "&".join(pieces)


def _sim_json(sim: SimRecord) -> dict[str, Any]:
    return {**asdict(sim), "services": sorted(sim.services)}


def _request_json(req: RequestRecord) -> dict[str, Any]:
    return {**asdict(req), "state": req.state}


def _faults_json(faults: Faults) -> dict[str, Any]:
    return {**asdict(faults), "unsupported_services": sorted(faults.unsupported_services)}


def _json_reply(status: str, data: dict[str, Any]) -> _Reply:
    return _Reply(status, "application/json", json.dumps(data).encode("utf-8"))


# --- serving ------------------------------------------------------------------------------


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request, so a hung reply holds up nobody else."""

    daemon_threads = True
    block_on_close = False  # server_close() does not wait for hung replies

    def server_bind(self) -> None:
        """As WSGIServer's, without the reverse DNS lookup (socket.getfqdn) that can stall."""
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _LoggingHandler(WSGIRequestHandler):
    """Logs one line per request to stderr, never with the password in it."""

    def log_message(self, format: str, *args: Any) -> None:
        app = self.server.get_app()  # type: ignore[attr-defined]
        password = app.account.password if isinstance(app, FakeAql) else ""
        line = redact(PASSWORD_PARAM_RE.sub(r"\1***", format % args), password, "***")
        sys.stderr.write(f"{self.address_string()} - [{self.log_date_time_string()}] {line}\n")


class _QuietHandler(_LoggingHandler):
    """Logs nothing (tests)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _make_server(app: FakeAql, host: str, port: int, *, quiet: bool) -> ThreadingWSGIServer:
    server = ThreadingWSGIServer((host, port), _QuietHandler if quiet else _LoggingHandler)
    server.set_app(app)
    return server


def start_in_thread(app: FakeAql, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingWSGIServer, str]:
    """Serve `app` from a daemon thread (port 0: any free port). Returns the server and base URL.

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = _make_server(app, host, port, quiet=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="aqlsim", daemon=True
    )
    thread.start()
    return server, server.base_url


def serve(app: FakeAql, host: str, port: int, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve `app` until interrupted, logging each request. `on_ready` gets the base URL once bound."""
    server = _make_server(app, host, port, quiet=False)
    try:
        if on_ready is not None:
            on_ready(server.base_url)
        server.serve_forever()
    finally:
        server.server_close()
