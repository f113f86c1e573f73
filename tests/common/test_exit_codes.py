"""The exit status the README promises, for every command line and every kind of outcome:
0 done or accepted, 1 refused or failed (by our rules, for bad input, or by aql), 3 outcome unknown.

Each row reads "`COMMAND` exits N when SITUATION". The words in capitals stand for the world's
SIMs and numbers (PLACES): an UNUSED SIM, an ACTIVE one with its number ACTIVE_NO, a SUSPENDED
one with SUSPENDED_NO, an active one without a number (NUMBERLESS), an ICCID not on record
(NOT_OURS), a FREE pool number, and the ORDER a row's situation placed. aql is the simulator,
made to refuse (`force`), to fail later or to hang, or for a one-step command's "failed" (which
the simulator cannot answer) a small stand-in gateway.
"""

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest

from aql.fake import USIM_PATH
from ops import gateway
from orders import services as order_services
from orders.models import DespatchOrder
from sims.lifecycle import SimState
from tests.conftest import IMEI, POOL, iccid, manage

# The words in capitals a row's command line may use, and what each stands for.
PLACES = {"UNUSED": iccid(0), "ACTIVE": iccid(1), "SUSPENDED": iccid(2), "NUMBERLESS": iccid(3), "NEW": iccid(20),
          "NOT_OURS": "1111111111999999999", "ACTIVE_NO": POOL[1], "SUSPENDED_NO": POOL[2], "FREE": POOL[10],
          "SUBSCRIBER": f'--imei {IMEI} --name "Ada Lovelace" --address "1 Road, Leeds" --postcode "LS1 1AA" '
                        "--contact 07700900123",
          "RECIPIENT": '--name "Jo Bloggs" --address "1 Road, Leeds" --postcode "LS1 1AA" --contact 07700900123',
          # the same, as aql's own fields
          "SUBSCRIBER_FIELDS": f'--imei {IMEI} --subname "Ada Lovelace" --subaddress "1 Road, Leeds" '
                               '--subpostcode "LS1 1AA" --subcontactno 441133203040',
          "RECIPIENT_FIELDS": '--name "Jo Bloggs" --address "1 Road, Leeds" --postcode "LS1 1AA" '
                              "--contact-no 441133203040"}


@dataclass
class World:
    fake: Any
    settings: Any
    serve: Callable


Given = Callable[[World], None]


# --- situations --------------------------------------------------------------------------------

def aql_refuses(command: str, code: int) -> Given:
    """aql answers the next `command` with `code` (a refusal: not done)."""
    return lambda w: w.fake.force(command, [code])


def no_answer(w: World) -> None:
    """aql acts, but its answer is held far longer than we wait."""
    w.fake.faults.hang_rate, w.fake.faults.hang_seconds = 1, 2
    w.settings.AQL_TIMEOUT = 0.2
    gateway.reset()


def garbled(w: World) -> None:
    w.fake.faults.malformed_rate = 1


def fails_later(w: World) -> None:
    """A two-step request aql accepts, which the network then fails (the worker finds out)."""
    w.fake.faults.fail_rate = 1


def one_step_answered(requeststate: str) -> Given:
    """A USIM gateway that answers every command `status: 200` with this requeststate. The simulator
    cannot: its one-step commands (assigngeo, changegeo) always succeed, and `force` sends only a
    status line."""
    def given(w: World) -> None:
        def app(environ: dict, start_response: Callable) -> list[bytes]:
            form = parse_qs(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode())
            body = f"status: 200\nrequeststate: {requeststate}\niccid: {form['iccid'][0]}\n".encode()
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]

        w.settings.AQL_USIM_URL = w.serve(app) + USIM_PATH
        gateway.reset()
    return given


def an_order(w: World) -> None:
    """An order sent to aql: it takes it and processes it, unless told otherwise (ORDER in a row)."""
    order_services.order_despatch(actor=None, name="Jo Bloggs", company="", address="1 Road, Leeds",
                                  postcode="LS1 1AA", contact_no="07700900123")


def despatched(w: World) -> None:
    w.fake.advance(w.fake.faults.despatch_after + 1)


def cancelled(w: World) -> None:
    w.fake.faults.cancel_rate = 1
    despatched(w)


def a_queued_request(w: World) -> None:
    """A two-step request at aql (id 117234), sent past our journal."""
    gateway.usim_client().suspend(iccid=PLACES["ACTIVE"], geo_nos=PLACES["ACTIVE_NO"])


def an_order_at_aql(w: World) -> None:
    w.fake.put_order("R-0", name="Jo Bloggs", company="", address="1 Road", postcode="LS1 1AA",
                     contact_no="441133203040")


# --- the table ---------------------------------------------------------------------------------


@dataclass
class Row:
    command: str
    when: str
    exits: int
    given: tuple[Given, ...] = ()

    def __str__(self) -> str:
        return f"`{self.command}` exits {self.exits} when {self.when}"


def row(command: str, when: str, exits: int, *given: Given) -> Row:
    return Row(command, when, exits, given)


def named_sim_rows(line: str, ours: tuple[str, str], bad: tuple[str, str], aql_says_no: Given) -> list[Row]:
    """A two-step command's five outcomes: accepted; refused by our rules (`ours`: a line and why);
    bad input (`bad`: a line and why); refused by aql; no answer."""
    return [row(line, "aql accepts it", 0), row(ours[0], f"our rules refuse it ({ours[1]})", 1),
            row(bad[0], f"the input is bad ({bad[1]})", 1), row(line, "aql refuses it", 1, aql_says_no),
            row(line, "aql does not answer", 3, no_answer)]


SIM = [
    row("sim activate UNUSED SUBSCRIBER --number FREE", "aql accepts it", 0),
    row("sim activate ACTIVE SUBSCRIBER --number FREE", "our rules refuse it (the SIM is active)", 1),
    row("sim activate UNUSED SUBSCRIBER --number FREE --imei 1", "the input is bad (the IMEI)", 1),
    row("sim activate UNUSED SUBSCRIBER --number 44113999999", "our rules refuse it (not a pool number)", 1),
    row("sim activate UNUSED SUBSCRIBER --number FREE", "aql refuses it", 1, aql_refuses("activate", 63014)),
    row("sim activate UNUSED SUBSCRIBER --number FREE", "aql accepts it, though the network fails it later", 0,
        fails_later),
    row("sim activate UNUSED SUBSCRIBER --number FREE", "aql does not answer", 3, no_answer),
    row("sim activate UNUSED SUBSCRIBER --number FREE", "aql's answer is garbled", 3, garbled),

    *named_sim_rows("sim suspend ACTIVE --reason lost", ("sim suspend UNUSED --reason lost", "the SIM is unused"),
                    ("sim suspend NOT_OURS --reason lost", "no such SIM"), aql_refuses("suspend", 63027)),
    row("sim suspend ACTIVE", "the input is bad (no reason)", 1),
    row("sim suspend ACTIVE --reason other", "the input is bad (other, without words)", 1),
    *named_sim_rows("sim reactivate SUSPENDED", ("sim reactivate ACTIVE", "the SIM is active"),
                    ("sim reactivate NOT_OURS", "no such SIM"), aql_refuses("reactivate", 63027)),
    *named_sim_rows("sim deactivate ACTIVE --reason unpaid", ("sim deactivate UNUSED --reason unpaid",
                    "the SIM is unused"), ("sim deactivate NOT_OURS --reason unpaid", "no such SIM"),
                    aql_refuses("deactivate", 63027)),
    row("sim deactivate ACTIVE --reason bored", "the input is bad (not a reason)", 1),
    *named_sim_rows("sim services ACTIVE --add int_roaming", ("sim services SUSPENDED --add int_roaming",
                    "the SIM is suspended"), ("sim services ACTIVE --add teleport", "no such service"),
                    aql_refuses("addservice", 63032)),
    *named_sim_rows("sim services ACTIVE --remove mo_sms", ("sim services SUSPENDED --remove mo_sms",
                    "the SIM is suspended"), ("sim services ACTIVE --remove teleport", "no such service"),
                    aql_refuses("removeservice", 63027)),

    row("sim number NUMBERLESS --assign FREE", "aql does it", 0),
    row("sim number ACTIVE --assign FREE", "our rules refuse it (the SIM has a number)", 1),
    row("sim number NUMBERLESS --assign SUSPENDED_NO", "our rules refuse it (another SIM's number)", 1),
    row("sim number NUMBERLESS --assign 12", "the input is bad (not a number)", 1),
    row("sim number NUMBERLESS --assign FREE", "aql refuses it", 1, aql_refuses("assigngeo", 63204)),
    row("sim number NUMBERLESS --assign FREE", "aql answers that it failed", 1, one_step_answered("failed")),
    row("sim number NUMBERLESS --assign FREE", "aql answers that it is still pending", 3,
        one_step_answered("pending")),
    row("sim number NUMBERLESS --assign FREE", "aql does not answer", 3, no_answer),

    row("sim number ACTIVE --change FREE", "aql does it", 0),
    row("sim number NUMBERLESS --change FREE", "our rules refuse it (the SIM has no number)", 1),
    row("sim number ACTIVE --change 12", "the input is bad (not a number)", 1),
    row("sim number ACTIVE --change FREE", "aql refuses it", 1, aql_refuses("changegeo", 63201)),
    row("sim number ACTIVE --change FREE", "aql answers that it failed", 1, one_step_answered("failed")),
    row("sim number ACTIVE --change FREE", "aql does not answer", 3, no_answer),

    row("sim query ACTIVE", "aql answers", 0),
    row("sim --user nobody query ACTIVE", "the input is bad (no such user)", 1),
    row("sim query NOT_OURS", "the input is bad (no such SIM)", 1),
    row("sim query ACTIVE", "aql refuses it", 1, aql_refuses("queryiccid", 63003)),
    row("sim query ACTIVE", "aql does not answer", 3, no_answer),

    row("sim show ACTIVE", "the SIM is on record", 0),
    row("sim show NOT_OURS", "the input is bad (no such SIM)", 1),
    row("sim add NEW ACTIVE", "the ICCIDs are good (one already on record)", 0),
    row("sim add NEW 12", "the input is bad (one ICCID)", 1),
    row("numbers add 441134960000 441134960001", "the numbers are good", 0),
    row("numbers add 441134960000 12", "the input is bad (one number)", 1),
]

ORDERS = [
    row("orders despatch RECIPIENT", "aql takes the order", 0),
    row("orders despatch RECIPIENT --postcode ??", "the input is bad (the postcode)", 1),
    row("orders despatch RECIPIENT", "aql refuses it", 1, aql_refuses("despatch", 1)),
    row("orders despatch RECIPIENT", "aql is out of stock (the order stays a draft)", 1, aql_refuses("despatch", 3)),
    row("orders despatch RECIPIENT", "aql does not answer", 3, no_answer),

    row("orders refresh ORDER", "aql is still processing the order", 0, an_order),
    row("orders refresh ORDER", "aql has despatched it", 0, an_order, despatched),
    row("orders refresh NO-SUCH-ORDER", "the input is bad (no such order)", 1),
    row("orders refresh ORDER", "aql cancelled the order (a failure aql reports later)", 1, an_order, cancelled),
    row("orders refresh ORDER", "aql refuses the query", 1, an_order, aql_refuses("query", 1)),
    row("orders refresh ORDER", "aql does not answer", 3, an_order, no_answer),
    row("orders refresh ORDER", "aql answered neither the despatch nor the query", 3, no_answer, an_order),
    row("orders refresh", "no order is open", 0),
    row("orders refresh", "every open order is fine", 0, an_order, despatched),
    row("orders refresh", "aql cancelled an open order", 1, an_order, cancelled),
    row("orders refresh", "aql does not answer", 3, an_order, no_answer),

    row("orders stock", "aql answers", 0),
    row("orders stock", "aql refuses it", 1, aql_refuses("check_stock", 1)),
    row("orders stock", "aql does not answer", 3, no_answer),
]

# Every one of aql's 13 commands as `manage.py aql` sends it, and what it needs first.
AQL_COMMANDS: dict[str, tuple[str, tuple[Given, ...]]] = {
    "activate": ("--iccid UNUSED --geo-nos FREE SUBSCRIBER_FIELDS", ()),
    "deactivate": ("--iccid ACTIVE --geo-nos ACTIVE_NO", ()),
    "suspend": ("--iccid ACTIVE --geo-nos ACTIVE_NO", ()),
    "reactivate": ("--iccid SUSPENDED --geo-nos SUSPENDED_NO", ()),
    "addservice": ("--iccid ACTIVE --geo-nos ACTIVE_NO --service int_roaming", ()),
    "removeservice": ("--iccid ACTIVE --geo-nos ACTIVE_NO --service mo_sms", ()),
    "assigngeo": ("--iccid NUMBERLESS --geo-nos FREE", ()),
    "changegeo": ("--iccid ACTIVE --geo-nos ACTIVE_NO --new-geo-nos FREE", ()),
    "queryiccid": ("--iccid ACTIVE", ()),
    "checkstatus": ("--id 117234", (a_queued_request,)),
    "despatch": ("--order-ref R-1 RECIPIENT_FIELDS", ()),
    "query": ("--order-ref R-0", (an_order_at_aql,)),
    "check_stock": ("", ()),
}
# A refusal that means "not done": network congested (USIM), authentication error (despatch).
REFUSAL = {"despatch": 1, "query": 1, "check_stock": 1}


def aql_rows(name: str, args: str, given: tuple[Given, ...]) -> list[Row]:
    line = f"aql {name} {args}".strip()
    return [row(line, "aql answers", 0, *given),
            row(line, "aql refuses it", 1, *given, aql_refuses(name, REFUSAL.get(name, 63027))),
            row(line, "aql does not answer", 3, *given, no_answer)]


AQL = [
    *(r for name, (args, given) in AQL_COMMANDS.items() for r in aql_rows(name, args, given)),
    row("aql queryiccid --iccid 12", "the input is bad (aql refuses the ICCID)", 1),
    row("aql checkstatus --id 999", "the input is bad (aql has no such request)", 1),
    row("aql queryiccid --iccid ACTIVE", "aql's answer is garbled", 3, garbled),
    row("aql assigngeo --iccid NUMBERLESS --geo-nos FREE", "aql answers that it failed", 1,
        one_step_answered("failed")),
    row("aql changegeo --iccid ACTIVE --geo-nos ACTIVE_NO --new-geo-nos FREE", "aql answers that it failed", 1,
        one_step_answered("failed")),
    row("aql assigngeo --iccid NUMBERLESS --geo-nos FREE", "aql answers that it is still pending", 3,
        one_step_answered("pending")),
]
ROWS = [*SIM, *ORDERS, *AQL]


@pytest.fixture
def world_of_four(make_sim, world, settings, serve) -> World:
    make_sim(1, number=POOL[1])
    make_sim(2, SimState.SUSPENDED, number=POOL[2])
    make_sim(3)
    return World(world.fake, settings, serve)


def command_line(command: str) -> list[str]:
    """The arguments a row's command line stands for."""
    order = DespatchOrder.objects.first()
    places = PLACES | ({"ORDER": order.order_ref} if order else {})
    return [part for word in shlex.split(command)
            for part in (shlex.split(places[word]) if word in places else [word])]




@pytest.mark.parametrize("row", [pytest.param(r, id=str(r)) for r in ROWS])
def test_exit_status(row: Row, world_of_four: World) -> None:
    for given in row.given:
        given(world_of_four)
    status, out = manage(*command_line(row.command))
    assert status == row.exits, f"{row}, but it exited {status}:\n{out}"


def test_every_command_has_rows_for_each_exit_status() -> None:
    """No command line is left out, nor an outcome it can have."""
    def key(command: str) -> str:
        words = [w for w in shlex.split(command) if w not in ("--user", "nobody")]
        how = [w for w in words if w in ("--add", "--remove", "--assign", "--change")]
        return " ".join(words[:2] + how[:1])

    seen: dict[str, set[int]] = {}
    for r in ROWS:
        seen.setdefault(key(r.command), set()).add(r.exits)
    local = {"sim show", "sim add", "numbers add"}  # no gateway: done or refused
    commands = {"sim activate", "sim suspend", "sim reactivate", "sim deactivate", "sim services --add",
                "sim services --remove", "sim number --assign", "sim number --change", "sim query", *local,
                "orders despatch", "orders refresh", "orders stock", *(f"aql {name}" for name in AQL_COMMANDS)}
    assert set(seen) == commands
    for command in commands:
        wanted = {0, 1} if command in local else {0, 1, 3}
        assert seen[command] == wanted, command
