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

Where the spec is silent or self-contradictory, the code says what it assumes, next to the
code that assumes it. Standard library only: it must run anywhere the tests run. It imports
nothing of the clients it checks (it is their oracle), so its constants are its own.

The package: `state` (vocabulary, records, clock, shared helpers), `estate` (SIMs in use on the
account before we first look), `usim` and `despatch`
(each endpoint's rules), `control` (the JSON endpoints), `core` (`FakeAql`, which puts them
together and routes requests), `wire` (reading requests, writing replies) and `server`
(serving it over HTTP). Everything public is importable from here.
"""

from aql.fake.core import HTTP_500_PAGE, FakeAql
from aql.fake.despatch import DESPATCH_COMMANDS, DESPATCH_TEXT
from aql.fake.estate import Estate, EstateSim
from aql.fake.server import PASSWORD_PARAM_RE, ThreadingWSGIServer, serve, start_in_thread
from aql.fake.state import (
    ACTIVATION_SERVICES,
    CONTROL_PREFIX,
    DESPATCH_PATH,
    FIRST_REQUEST_ID,
    ICCID_RE,
    ORDER_STATES,
    SERVICES,
    SIM_STATES,
    USIM_PATH,
    VOICE_AND_SMS,
    Account,
    Call,
    Faults,
    OrderRecord,
    RequestRecord,
    SimRecord,
)
from aql.fake.usim import (
    CONTACT_RE,
    GEO_RE,
    IMEI_RE,
    ONE_STEP,
    POSTCODE_RE,
    QUERIES,
    SERVICE_KEY_RE,
    TWO_STEP,
    USIM_COMMANDS,
    WRONG_STATE,
)
from aql.redact import redact  # the module's name for it before it was a package

__all__ = [
    "ACTIVATION_SERVICES",
    "CONTACT_RE",
    "CONTROL_PREFIX",
    "DESPATCH_COMMANDS",
    "DESPATCH_PATH",
    "DESPATCH_TEXT",
    "FIRST_REQUEST_ID",
    "GEO_RE",
    "HTTP_500_PAGE",
    "ICCID_RE",
    "IMEI_RE",
    "ONE_STEP",
    "ORDER_STATES",
    "PASSWORD_PARAM_RE",
    "POSTCODE_RE",
    "QUERIES",
    "SERVICES",
    "SERVICE_KEY_RE",
    "SIM_STATES",
    "TWO_STEP",
    "USIM_COMMANDS",
    "USIM_PATH",
    "VOICE_AND_SMS",
    "WRONG_STATE",
    "Account",
    "Call",
    "Estate",
    "EstateSim",
    "FakeAql",
    "Faults",
    "OrderRecord",
    "RequestRecord",
    "SimRecord",
    "ThreadingWSGIServer",
    "redact",
    "serve",
    "start_in_thread",
]
