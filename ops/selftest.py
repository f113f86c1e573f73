"""Proving the connection to aql, changing nothing there: `manage.py aql selftest` and the Admin
page "Connection to aql" both run `aql_selftest` and show its checks, each in words with what to
do when it does not pass.

Two commands go out, both of which only read: `check_stock` (the despatch endpoint) and
`queryiccid` (the USIM gateway), through the configured clients, so they are timed, counted and
logged as every other call. Nothing here writes the password: the words are ours or aql's code
table's, and are masked all the same, as a log line is.

Plain http: a gateway URL that is not https warns, in development as in production (DEBUG or
not), because the username and password cross the network in clear either way; only a loopback
address (the simulator, or a relay on this machine) passes, since nothing leaves the machine.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings

from aql.http import GatewayError, GatewayRejected, GatewayReplyUnreadable, GatewayUnreachable
from common.redaction import redact
from common.validators import clean_iccid
from ops import gateway
from ops.checks import LOOPBACK


class Status(StrEnum):
    PASSED = "passed"
    WARNING = "warning"  # passed, with something to put right before going live
    FAILED = "failed"
    NOT_KNOWN = "not known"  # neither: what we could not find out (no answer, or not tried)


@dataclass(frozen=True)
class Check:
    """One check's result: its name, in words what was found and what to do, and the
    round-trip time of the call it read (milliseconds), when it read one."""

    name: str
    status: Status
    words: str
    todo: str = ""
    ms: int | None = None

    @property
    def passed(self) -> bool:
        return self.status in (Status.PASSED, Status.WARNING)


class Held(NamedTuple):
    """The SIMs we hold, as the app that keeps them says: how many, and one to ask aql about."""

    count: int
    iccid: str | None


_holder: list[Callable[[], Held]] = []  # ops knows no app: the one keeping SIMs registers its reader


def held_from(reader: Callable[[], Held]) -> None:
    """Register how to read the SIMs we hold (sims does, when it starts)."""
    _holder[:] = [reader]


def held() -> Held:
    """The SIMs we hold: none when no app said how to read them."""
    return _holder[0]() if _holder else Held(0, None)


def selftest_passed(checks: list[Check]) -> bool:
    """Whether every check passed (warnings allowed)."""
    return all(check.passed for check in checks)


@dataclass(frozen=True)
class _Endpoint:
    name: str  # as staff read it
    setting: str  # its URL's setting
    refused_account: int  # its code for "wrong username or password"


USIM = _Endpoint("USIM gateway", "AQL_USIM_URL", 401)
DESPATCH = _Endpoint("Despatch endpoint", "AQL_DESPATCH_URL", 1)
SETTINGS = ("AQL_USERNAME", "AQL_PASSWORD", "AQL_USIM_URL", "AQL_DESPATCH_URL")
SET_THEM = "Set each in the environment (/etc/mvnoadmin/env, or .env on one machine): .env.example lists them."


@dataclass(frozen=True)
class _Call:
    """One call to aql: what it returned, or the error it raised, and how long it took."""

    result: Any
    error: GatewayError | None
    ms: int


def _call(send: Callable[..., Any], **fields: str) -> _Call:
    started = time.monotonic()
    try:
        result, error = send(**fields), None
    except GatewayError as exc:
        result, error = None, exc
    return _Call(result, error, round((time.monotonic() - started) * 1000))


def _words(exc: GatewayError) -> str:
    """What went wrong, in words: each code with its meaning, never a reply's body."""
    if isinstance(exc, GatewayRejected):
        return "; ".join(str(code) for code in exc.codes)
    if isinstance(exc, GatewayReplyUnreadable):
        return f"its answer could not be read ({exc.reason})"
    return str(exc)


def _settings() -> Check:
    name = "Settings present"
    missing = [setting for setting in SETTINGS if not str(getattr(settings, setting, "") or "").strip()]
    if missing:
        return Check(name, Status.FAILED, f"Not set: {', '.join(missing)}.", SET_THEM)
    for setting in SETTINGS[2:]:
        url = urlsplit(getattr(settings, setting))
        if url.scheme not in ("http", "https") or not url.hostname:
            return Check(name, Status.FAILED, f"{setting} is not a web address (https://…).",
                         f"Set {setting} to the address aql gave you, as https://host/path.")
    return Check(name, Status.PASSED, f"AQL_USERNAME ({settings.AQL_USERNAME}), AQL_PASSWORD (not shown), "
                                      "AQL_USIM_URL and AQL_DESPATCH_URL are set.")


def _reached(endpoint: _Endpoint, call: _Call | None) -> Check:
    name = f"{endpoint.name} reachable over TLS"
    if call is None:
        return Check(name, Status.NOT_KNOWN, "Not tried: the settings above are missing.", SET_THEM)
    url = urlsplit(getattr(settings, endpoint.setting))
    error = call.error
    if isinstance(error, GatewayUnreachable) and error.http_status is None:
        return Check(name, Status.FAILED, f"No answer: {error}.",
                     f"Check that {endpoint.setting} is the address aql gave you and that this machine can reach "
                     "it (firewall, proxy, DNS)" + (", and trusts its TLS certificate." if url.scheme == "https"
                                                     else "."), call.ms)
    if url.scheme == "https":
        return Check(name, Status.PASSED, "It answered over https (TLS): the password travels encrypted.", ms=call.ms)
    if url.hostname in LOOPBACK:
        return Check(name, Status.PASSED, f"It answered over plain http on this machine ({url.hostname}): nothing "
                                          "crosses the network. That is the simulator or a relay here, not aql.",
                     ms=call.ms)
    return Check(name, Status.WARNING, "It answered, but over plain http: the username and password cross the "
                                       "network unencrypted.",
                 f"Ask aql for an https address and set {endpoint.setting} to it (aql's spec documents the "
                 "despatch endpoint as http).", call.ms)


def _account(endpoint: _Endpoint, call: _Call | None) -> Check:
    name = f"{endpoint.name} accepted the username and password"
    todo = ("Check AQL_USERNAME and AQL_PASSWORD against what aql gave you for this account (the password is not "
            "shown here); aql's support can reset it.")
    if call is None:
        return Check(name, Status.NOT_KNOWN, "Not tried: the settings above are missing.", SET_THEM)
    error = call.error
    rejected = error.codes if isinstance(error, GatewayRejected) else ()
    refused = next((str(code) for code in rejected if code.code == endpoint.refused_account), None)
    if refused is None and isinstance(error, GatewayUnreachable) and error.http_status == 401:
        refused = "HTTP 401 Unauthorized"
    if refused:
        return Check(name, Status.FAILED, f"aql refused the username or password: {refused}.", todo, call.ms)
    # An answer, or a refusal of the query itself (a USIM code 63xxx comes after the account's check).
    if error is None or (endpoint is USIM and rejected and all(code.code >= 63000 for code in rejected)):
        return Check(name, Status.PASSED, f"aql took the account {settings.AQL_USERNAME} and its password.",
                     ms=call.ms)
    return Check(name, Status.NOT_KNOWN, f"Not known: no answer shows it ({_words(error)}).",
                 "Put right what the checks above and below say, then run the checks again.", call.ms)


def _stock(call: _Call | None) -> Check:
    name = "check_stock answered"
    if call is None:
        return Check(name, Status.NOT_KNOWN, "Not tried: the settings above are missing.", SET_THEM)
    if call.error is not None:
        return Check(name, Status.FAILED, f"No stock came back: {_words(call.error)}.",
                     "Put right what the checks above say; if they passed, check that AQL_DESPATCH_URL is aql's "
                     "despatch_sim.php, and ask aql's support.", call.ms)
    lines = "; ".join(f"{line.product_code}: {line.quantity:,}" for line in call.result) or "none on the account"
    return Check(name, Status.PASSED, f"aql's stock of SIMs by product code: {lines}.", ms=call.ms)


def _query(call: _Call | None, iccid: str | None, given: bool) -> Check:
    name = "queryiccid answered"
    if call is None:
        return Check(name, Status.NOT_KNOWN, "Not tried: the settings above are missing.", SET_THEM)
    error = call.error
    ask_for_one = ("Give one of the account's ICCIDs (--iccid, or the field above), or run the checks again once "
                   "the SIMs in use are adopted.")
    if iccid is None and isinstance(error, GatewayRejected) and error.numbers == (63001,):
        # Asked about none: the answer shows the gateway reads our queries, not that it knows a SIM of ours.
        return Check(name, Status.WARNING, "We hold no SIM yet and none was given, so aql was asked about none "
                                           f"and answered as expected: {_words(error)}", ask_for_one, call.ms)
    if iccid is None and error is None:
        return Check(name, Status.NOT_KNOWN, "aql answered a query without an ICCID as if one was named.",
                     ask_for_one, call.ms)
    which = f"{iccid} (the ICCID given)" if given else f"{iccid} (a SIM we hold)" if iccid else "no SIM"
    if error is not None:
        todo = ("If the SIM is the reseller's, AQL_USERNAME may name another aql account: ask aql which account holds "
                "it." if isinstance(error, GatewayRejected) and 63003 in error.numbers
                else "Put right what the checks above say; if they passed, check that AQL_USIM_URL is aql's "
                     "configure_sim.php, and ask aql's support.")
        return Check(name, Status.FAILED, f"aql did not answer about {which}: {_words(error)}.", todo, call.ms)
    number = f", number {call.result.geo_nos}" if call.result.geo_nos else ""
    return Check(name, Status.PASSED, f"aql knows {which}: {call.result.state}{number}.", ms=call.ms)


def _masked(check: Check) -> Check:
    return Check(check.name, check.status, redact(check.words), redact(check.todo), check.ms)


def aql_selftest(*, iccid: str | None = None) -> list[Check]:
    """Prove the connection to aql with the configured settings, changing nothing there: only
    `check_stock` and `queryiccid` are sent. `iccid` is the SIM to ask about (checked first:
    ValidationError in words); without it, a SIM we hold; with none held, aql is asked about none."""
    given = iccid is not None
    sample = clean_iccid(iccid) if given else held().iccid
    setup = _settings()
    stock = query = None
    if setup.passed:
        stock = _call(gateway.despatch_client().check_stock)
        query = _call(gateway.usim_client().queryiccid, iccid=sample or "")
    checks = [setup, _reached(USIM, query), _reached(DESPATCH, stock), _account(USIM, query),
              _account(DESPATCH, stock), _stock(stock), _query(query, sample, given)]
    return [_masked(check) for check in checks]
