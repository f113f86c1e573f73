"""`FakeAql`: the state, the USIM gateway, the despatch endpoint and the control API, as one WSGI app."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from aql.fake.control import Control, _faults_json, _request_json, _sim_json
from aql.fake.despatch import DespatchRules
from aql.fake.estate import Estate
from aql.fake.state import (
    CONTROL_PREFIX,
    DESPATCH_PATH,
    ICCID_RE,
    ORDER_STATES,
    SERVICES,
    SIM_STATES,
    USIM_PATH,
    OrderRecord,
    RequestRecord,
    SimRecord,
    _key,
)
from aql.fake.usim import UsimRules
from aql.fake.wire import _read_form, _Reply

HTTP_500_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
    b"<body><h1>Internal Server Error</h1>\n"
    b"<p>The server encountered an internal error and was unable to complete your request.</p>\n"
    b"</body></html>\n"
)


class FakeAql(UsimRules, DespatchRules, Control):
    """aql's USIM gateway and despatch endpoint, in memory. A WSGI app; thread-safe.

    The state and clock come from `SimulatorState`, each endpoint's rules from `UsimRules` and
    `DespatchRules`, the ``/_aqlsim/`` endpoints from `Control`. Here: the public methods, the
    routing, the faults around each reply, and settling what has fallen due.
    """

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

    def put_estate(self, estate: Estate) -> None:
        """Give the account SIMs already in use (see `Estate`): each made as the estate says when first
        touched. A SIM touched already stays as it is."""
        with self._lock:
            self.account.estate = estate

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

    def force(self, command: str, codes: list[int], times: int = 1, iccid: str = "") -> None:
        """Answer the next `times` calls of `command` (for `iccid` only, when given) with exactly
        `codes`, without executing.

        USIM commands reply ``status: c1,c2``; despatch commands ``<code>: <text>`` (the first
        code). This reaches the codes the rules never produce, such as 400, 500 and 63033.
        """
        if not codes:
            raise ValueError("force needs at least one code")
        with self._lock:
            self._forced.setdefault(_key(command, iccid), []).extend([list(codes)] * times)

    def lose_reply(self, command: str, iccid: str = "", times: int = 1) -> None:
        """Carry out the next `times` calls of `command` (for `iccid` only, when given), then hold
        each reply `faults.hang_seconds`: the caller gives up not knowing it was done."""
        with self._lock:
            key = _key(command, iccid)
            self._lost[key] = self._lost.get(key, 0) + times

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
                "estate": self.account.estate.describe(),
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
            lost = self._take_lost(params)
        if draw.malformed:
            text = _garble(text)
        if draw.hang or lost:  # done, but the answer is stuck: the caller cannot know it was done
            time.sleep(self.faults.hang_seconds)
        return _Reply("200 OK", "text/plain; charset=utf-8", text.encode("utf-8"))

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
        while self._deferred and self._deferred[0][0] <= now:
            _, iccid, number = self._deferred.popleft()
            self._set_geo(self._sims[iccid], number)
        for order in self._orders.values():
            if order.status == "processing" and now >= order.created + self.faults.despatch_after:
                self._despatch_order(order)


def _garble(text: str) -> str:
    """A reply nobody can read: cut short, its separators gone, junk in front."""
    return "#~garbled~#" + text[: max(1, len(text) // 2)].replace(":", "")
