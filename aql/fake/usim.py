"""The USIM gateway's rules: every check in the documented order, then execution.

One-step commands (assigngeo, changegeo) change the SIM at once; two-step ones queue a request
whose outcome is decided there and then, and which `_apply` carries out once it settles.
"""

from __future__ import annotations

import re

from aql.fake.state import (
    ACTIVATION_SERVICES,
    ICCID_RE,
    SERVICES,
    VOICE_AND_SMS,
    RequestRecord,
    SimRecord,
    SimulatorState,
)
from aql.fake.wire import _without_password

TWO_STEP = frozenset({"activate", "deactivate", "suspend", "reactivate", "addservice", "removeservice"})
ONE_STEP = frozenset({"assigngeo", "changegeo"})
QUERIES = frozenset({"queryiccid", "checkstatus"})
USIM_COMMANDS = TWO_STEP | ONE_STEP | QUERIES

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

IMEI_RE = re.compile(r"\d{15}")
GEO_RE = re.compile(r"44\d{9,10}")  # a UK number in international form, 11 or 12 digits
# A UK postcode, the space between outward and inward code optional ("LS101JQ", "LS10 1JQ").
POSTCODE_RE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", re.IGNORECASE)
CONTACT_RE = re.compile(r"\+?\d{10,15}")
SERVICE_KEY_RE = re.compile(r"service\[(\w*)\]")


class UsimRules(SimulatorState):
    """Answers ``/mobile/configure_sim.php`` for `FakeAql` (call with the lock held)."""

    def _usim(self, params: dict[str, str] | None, *, congested: bool) -> str:
        """The USIM gateway's answer: checks in the documented order, then execution."""
        stop = self._opening_checks(params, USIM_COMMANDS, (400, 401, 600))
        if stop is not None:
            return _status(*stop)
        assert params is not None
        command = params["command"]
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
            number = params["geo_nos" if command == "assigngeo" else "new_geo_nos"]
            if self.faults.one_step_after > 0:
                self._deferred.append((self.now() + self.faults.one_step_after, sim.iccid, number))
            else:
                self._set_geo(sim, number)
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


def _lines(**values: object) -> str:
    """A USIM reply: ``key: value`` lines."""
    return "".join(f"{key}: {value}\n" for key, value in values.items())


def _status(*codes: int) -> str:
    """A USIM status line: one code, or every code of a refusal, comma-separated."""
    return _lines(status=",".join(str(code) for code in codes))


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
