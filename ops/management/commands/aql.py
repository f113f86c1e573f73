"""`manage.py aql COMMAND [--field value ...]`: send one of aql's 13 commands by hand.

For support staff checking the gateway: it uses the configured account, prints the parsed
answer (`--json` for scripts) and exits 0 on success, 1 when aql refused (every code with its
meaning), 3 when the outcome is unknown (no answer, or one we cannot read).

`manage.py aql selftest [--iccid ICCID]` proves the connection instead, changing nothing at aql
(ops.selftest): each check in words, exit 0 when all pass (warnings allowed), 1 otherwise.
"""

import dataclasses
import inspect
import json
from typing import Any

from django.core.management.base import CommandError, CommandParser

from aql.despatch import DespatchClient
from aql.http import GatewayError, GatewayRejected
from aql.usim import RequestState, UsimClient
from common.cli import StaffCommand
from common.errors import EXIT_REFUSED, EXIT_UNKNOWN, refusal_exit_code
from common.models import AuditAction, AuditEvent
from ops import gateway
from ops.selftest import Check, Status, aql_selftest

WIRE_ONLY = ("self", "return_mode", "return_format")


def _sent_by(endpoint: str, client: type) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each command a client sends -> (endpoint, its fields by wire name), read from the client's own
    methods: aql's clients are the one list of the wire's commands (the SIMs' registry, a layer above
    common, names which of them we journal). Every field is required but services (zero or more:
    aql itself says when none were given) and company."""
    return {name: (endpoint, tuple(p for p in inspect.signature(method).parameters if p not in WIRE_ONLY))
            for name, method in vars(client).items() if inspect.isfunction(method) and not name.startswith("_")}


COMMANDS = {**_sent_by("usim", UsimClient), **_sent_by("despatch", DespatchClient)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {k: v for k, v in dataclasses.asdict(value).items() if k != "raw"}  # type: ignore[arg-type]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Command(StaffCommand):
    help = "Send one aql gateway command with the configured account and print aql's answer."
    permissions = {"*": "sims.send_raw"}  # any command: it acts behind our records

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        selftest = commands.add_parser("selftest", help="prove the connection to aql, changing nothing there")
        selftest.add_argument("--iccid", help="the SIM to ask aql about (without it: the first SIM we hold)")
        for name, (endpoint, fields) in COMMANDS.items():
            sub = commands.add_parser(name, help=f"{endpoint} endpoint")
            for field in fields:
                flag = "--" + field.replace("_", "-")
                if field == "services":
                    sub.add_argument("--service", dest="services", action="append", default=[],
                                     metavar="SERVICE", help="a service name; repeat for several")
                elif field == "request_id":
                    sub.add_argument("--id", dest="request_id", type=int, required=True)
                elif field == "company":
                    sub.add_argument(flag, default="")
                elif name == "check_stock":
                    sub.add_argument(flag, default="stock-check")
                else:
                    sub.add_argument(flag, required=True)
            if endpoint == "usim":
                sub.add_argument("--return-mode", dest="return_mode")
                sub.add_argument("--return-format", dest="return_format")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["command"]
        actor = self.actor(options)
        if name == "selftest":
            return self._selftest(options)
        endpoint, fields = COMMANDS[name]
        kwargs = {field: options[field] for field in fields}
        # Recorded before it is sent, like the journal: a raw command may change a SIM behind our records.
        about = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k in ("iccid", "order_ref", "request_id"))
        AuditEvent.objects.create(actor=actor, action=AuditAction.GATEWAY_SENT, subject=f"aql {name}",
                                  message=f"aql {name} sent by hand: {about or 'no SIM or order named'}.")
        if endpoint == "usim":
            kwargs |= {k: options[k] for k in ("return_mode", "return_format") if options.get(k) is not None}
            client: Any = gateway.usim_client()
        else:
            client = gateway.despatch_client()
        try:
            result = getattr(client, name)(**kwargs)
        except GatewayRejected as exc:
            self._report({"ok": False, "codes": [dataclasses.asdict(c) for c in exc.codes]}, options,
                         "\n".join(f"{c.code} {c.description}: {c.message}" for c in exc.codes))
            code = refusal_exit_code(exc)  # 3 for a code that leaves it open whether aql acted (500, 9)
            said = "refused" if code == EXIT_REFUSED else "gave no clear answer to"
            raise CommandError(f"aql {said} {name}.", returncode=code) from None
        except GatewayError as exc:
            self._report({"ok": False, "unknown": str(exc)}, options, str(exc))
            raise CommandError(f"The outcome of {name} is unknown: {exc}", returncode=EXIT_UNKNOWN) from None
        done = name not in ("assigngeo", "changegeo") or result.state == RequestState.SUCCESS
        result = _plain(result)
        self._report({"ok": done, "result": result}, options, _human(result))
        if not done:  # a one-step command's outcome is its answer: "failed" is a refusal, "pending" unknown
            code = EXIT_REFUSED if result["state"] == RequestState.FAILED else EXIT_UNKNOWN
            raise CommandError(f"aql answered {name}: {result['state']}.", returncode=code)

    def _selftest(self, options: dict[str, Any]) -> None:
        checks = aql_selftest(iccid=options["iccid"])  # a bad ICCID: its words, exit 1 (StaffCommand)
        failed = [check.name for check in checks if not check.passed]
        if options["json"]:
            self.stdout.write(json.dumps({"ok": not failed, "checks": [
                dataclasses.asdict(check) | {"status": str(check.status)} for check in checks]}, indent=2))
        else:
            self.stdout.write("\n".join(_check_lines(check) for check in checks))
        if failed:
            raise CommandError(f"{len(failed)} of {len(checks)} checks did not pass: {', '.join(failed)}.",
                               returncode=EXIT_REFUSED)
        if not options["json"]:
            self.stdout.write(f"All {len(checks)} checks passed. Nothing was changed at aql: only check_stock and "
                              "queryiccid were sent.")

    def _report(self, data: dict[str, Any], options: dict[str, Any], text: str) -> None:
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
        elif data["ok"]:
            self.stdout.write(text)
        else:
            self.stderr.write(text)


def _check_lines(check: Check) -> str:
    took = f" ({check.ms} ms)" if check.ms is not None else ""
    line = f"{check.status:<10} {check.name}{took}: {check.words}"
    return line + (f"\n{'':<10} What to do: {check.todo}" if check.todo and check.status is not Status.PASSED else "")


def _human(result: Any) -> str:
    if result is None:
        return "accepted"
    if isinstance(result, list):
        return "\n".join(_human(item) for item in result) or "(nothing)"
    return "\n".join(f"{key}: {value}" for key, value in result.items())
