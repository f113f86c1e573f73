"""`manage.py aqlsim`: serve the aql simulator (USIM gateway and despatch) on a local port.

For the demo and end-to-end tests. The account's username and password come from the
settings (`AQL_USERNAME`, `AQL_PASSWORD`), so the app configured against it logs straight in.
Every fault option defaults to `aql.fake.Faults`' own default. Runs until Ctrl-C.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aql.fake import DESPATCH_PATH, SERVICES, USIM_PATH, Account, Estate, FakeAql, Faults, serve
from aql.fake.estate import ESTATE_FIRST

SECONDS = {
    "settle_after": "seconds before a two-step request leaves 'pending'",
    "one_step_after": "seconds before assigngeo/changegeo show in queryiccid (a slow gateway; default at once)",
    "despatch_after": "seconds before an order goes from processing to despatched",
    "latency": "seconds added before every reply",
    "hang_seconds": "how long a hung reply is held",
    "poll_again_within": "a checkstatus sooner than this after queueing gets 63022",
}
RATES = {
    "congestion_rate": "share of commands answered 63027 (network congested), not executed",
    "fail_rate": "share of two-step requests that end 'failed'",
    "http500_rate": "share of replies that are an HTTP 500 page (command not executed)",
    "malformed_rate": "share of replies with a garbled body (command executed)",
    "hang_rate": "share of replies held for --hang-seconds (command executed)",
    "cancel_rate": "share of orders that end 'cancelled'",
}


class Command(BaseCommand):
    help = "Serve a simulator of aql's USIM gateway and despatch endpoint until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
        parser.add_argument("--seed", type=int, help="seed of the fault draws: the same seed, the same faults")
        for name, text in SECONDS.items():
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, metavar="S", help=text)
        for name, text in RATES.items():
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, metavar="R",
                                help=f"{text} (0 to 1)")
        parser.add_argument("--estate", type=int, default=0, metavar="N",
                            help="start with N SIMs already in use on the account (active, suspended, terminated, "
                                 f"unused), ICCIDs from {ESTATE_FIRST}; made as first asked about")
        parser.add_argument("--estate-seed", type=int, default=0, metavar="S",
                            help="seed of the estate: the same seed, the same SIMs")
        parser.add_argument("--unsupported-services", metavar="a,b",
                            help=f"services answered 63032 (not yet supported), of: {', '.join(SERVICES)}")

    def handle(self, *args: Any, **options: Any) -> None:
        faults = _faults(options)
        defaults = Account()
        if options["estate"] < 0:
            raise CommandError("--estate cannot be negative")
        account = Account(
            username=getattr(settings, "AQL_USERNAME", "") or defaults.username,
            password=getattr(settings, "AQL_PASSWORD", "") or defaults.password,
            estate=Estate(count=options["estate"], seed=options["estate_seed"]),
        )
        app = FakeAql(account, faults)

        def ready(base_url: str) -> None:  # one line, never the password
            self.stdout.write(
                f"aql simulator listening on {base_url} (USIM {USIM_PATH}, despatch {DESPATCH_PATH}, "
                f"control /_aqlsim/state) for account {account.username!r}"
                + (f" with an estate of {account.estate.count:,} SIMs" if account.estate.count else "")
                + "; Ctrl-C to stop"
            )
            self.stdout.flush()

        try:
            serve(app, options["host"], options["port"], on_ready=ready)
        except OSError as exc:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {exc}") from exc
        except KeyboardInterrupt:
            self.stdout.write("aql simulator stopped")


def _faults(options: dict[str, Any]) -> Faults:
    """Faults from the options given; the rest keep their defaults."""
    faults = Faults()
    if options["seed"] is not None:
        faults.seed = options["seed"]
    for name in SECONDS:
        if options[name] is not None:
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative")
            setattr(faults, name, options[name])
    for name in RATES:
        if options[name] is not None:
            if not 0 <= options[name] <= 1:
                raise CommandError(f"--{name.replace('_', '-')} is a share between 0 and 1")
            setattr(faults, name, options[name])
    if options["unsupported_services"]:
        names = {name.strip() for name in options["unsupported_services"].split(",") if name.strip()}
        unknown = names - set(SERVICES)
        if unknown:
            raise CommandError(f"unknown services: {', '.join(sorted(unknown))} (known: {', '.join(SERVICES)})")
        faults.unsupported_services = frozenset(names)
    return faults
