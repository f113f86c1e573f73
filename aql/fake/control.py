"""The ``/_aqlsim/`` JSON control endpoints, and the JSON views of the records they return."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any
from wsgiref.types import WSGIEnvironment

from aql.fake.estate import Estate
from aql.fake.state import CONTROL_PREFIX, Faults, RequestRecord, SimRecord, SimulatorState
from aql.fake.wire import _json_reply, _read_body, _Reply


class Control(SimulatorState):
    """The control endpoints, a mixin of `FakeAql`.

    They go through its public methods (`state`, `advance`, `force`, `put_sim`, `sim`, `put_estate`), as a
    driver in the same process would.
    """

    def _control(self, environ: WSGIEnvironment, path: str, method: str) -> _Reply:
        """JSON endpoints for a driver in another process (the demo, end-to-end tests)."""
        name = path[len(CONTROL_PREFIX):].strip("/")
        routes: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
            "state": ("GET", lambda _payload: self.state()),
            "faults": ("POST", self._control_faults),
            "advance": ("POST", self._control_advance),
            "force": ("POST", self._control_force),
            "sims": ("POST", self._control_sims),
            "estate": ("POST", self._control_estate),
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


    def _control_estate(self, payload: dict[str, Any]) -> dict[str, Any]:
        unknown = set(payload) - {f.name for f in fields(Estate)}
        if unknown:
            raise ValueError(f"unknown estate fields {sorted(unknown)}")
        numbers = {key: (str(value) if key == "first" else int(value) if key in ("count", "seed") else float(value))
                   for key, value in payload.items()}
        self.put_estate(Estate(**numbers))  # type: ignore[arg-type]
        return self.account.estate.describe()


def _sim_json(sim: SimRecord) -> dict[str, Any]:
    return {**asdict(sim), "services": sorted(sim.services)}


def _request_json(req: RequestRecord) -> dict[str, Any]:
    return {**asdict(req), "state": req.state}


def _faults_json(faults: Faults) -> dict[str, Any]:
    return {**asdict(faults), "unsupported_services": sorted(faults.unsupported_services)}
