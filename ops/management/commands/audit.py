"""`manage.py audit seal` and `manage.py audit verify`: the audit trail that proves itself (ops.seal).

seal:   seal now what the worker would seal on its next pass (rows older than AUDIT_SEAL_MARGIN).
verify: read every sealed row again and compare it with its seal; print each table's figures and every
        row or seal that does not match (table, id, kind), the first named last. Exit 0 when all match,
        1 on any mismatch. The result is recorded: /readyz and the dashboard show it.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import EXIT_REFUSED
from ops.seal import trail_seal, trail_verify


class Command(BaseCommand):
    help = "Seal the audit trail now (seal), or check every sealed row against its seal (verify)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        seal = actions.add_parser("seal", help="seal the rows old enough to seal, now")
        seal.add_argument("--margin", type=float, default=None,
                          help="seal rows older than this many seconds (default AUDIT_SEAL_MARGIN; lower is unsafe "
                               "on PostgreSQL while events are being written)")
        actions.add_parser("verify", help="check every sealed row against its seal; exit 1 on any mismatch")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seal":
            for done in trail_seal(margin=options["margin"]):
                raced = " (another sealer is sealing it too: it carries on)" if done.raced else ""
                self.stdout.write(f"{done.label}: {done.rows} row(s) sealed now; sealed up to id {done.upto}{raced}; "
                                  f"head {done.digest[:16] or '-'}.")
            return
        report = trail_verify()
        self.stdout.write(f"Verified the audit trail in {report.seconds:.1f} s.")
        for table in report.tables:
            self.stdout.write(f"{table.label}: {table.sealed} sealed row(s) checked, {table.pruned} pruned by the "
                              f"system, {table.unsealed} not yet sealed; {table.mismatches} mismatch(es).")
            for mismatch in table.found:
                self.stdout.write(f"  {mismatch}")
            if table.mismatches > len(table.found):
                self.stdout.write(f"  ... and {table.mismatches - len(table.found)} more.")
        if not report.matched:
            raise CommandError(f"MISMATCH: {report.words()}", returncode=EXIT_REFUSED)
        self.stdout.write(f"OK: {report.words()}")
