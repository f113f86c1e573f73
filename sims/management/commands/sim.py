"""`manage.py sim ...`: provision SIMs from the command line through the same services as the pages.

Exit status (`common.cli`): 0 done (or accepted by aql, for two-step commands), 1 refused or
failed (by us or by aql, with the reason), 3 outcome unknown (aql did not answer clearly; it
will be checked, not resent).
"""

import csv
import json
import sys
import time
from itertools import chain
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from aql import codes
from aql.usim import SERVICES
from common import validators
from common.cli import StaffCommand
from common.errors import EXIT_DONE, EXIT_REFUSED, EXIT_UNKNOWN
from sims import selectors, services, tasks
from sims.lifecycle import TABLE
from sims.models import Adoption, AdoptionRow, GatewayRequest, RequestState, Sim
from sims.models_replacements import WORDS
from sims.outcomes import request_outcome
from sims.reasons import StaffReason
from sims.selectors_adoptions import adoption_counts, adoption_progress, adoption_rows, adoption_summary
from sims.selectors_replacements import replacement_said, sim_replacement_latest
from sims.services.adoptions import ADOPT_PERMISSION, lost_before
from sims.services.replacements import REPLACE_PERMISSION


def sim_json(sim: Sim) -> dict[str, Any]:
    """What `sim show --json` prints."""
    return {
        "iccid": sim.iccid,
        "state": sim.state,
        "number": sim.number.number if sim.number else None,
        "imei": sim.imei or None,
        "services": sim.services,  # each service's name: true, false or null (not known)
        "premium": sim.premium,
        "requests": [
            {"id": r.pk, "command": r.command, "state": r.state, "aql_id": r.aql_id, "reason": r.reason,
             "codes": [{"code": c, "message": codes.usim(c).message} for c in r.codes],
             "created_at": r.created_at.isoformat(), "settled_at": r.settled_at and r.settled_at.isoformat()}
            for r in sim.requests.order_by("-created_at")
        ],
        "replacement": replacement_of(sim),
    }


def replacement_of(sim: Sim) -> dict[str, Any] | None:
    """The latest replacement this SIM is part of (under way or finished), naming the other SIM."""
    found = sim_replacement_latest(sim_id=sim.pk)
    if found is None:
        return None
    old = found.old_sim_id == sim.pk
    return {"id": found.pk, "state": found.state, "step": found.step or None, "said": replacement_said(found),
            "this_sim_is": "old" if old else "new", "other_iccid": (found.new_sim if old else found.old_sim).iccid,
            "number": found.number.number}


WITH_INPUT = ("activate", "services", "number")  # commands with input of their own, parsed below


class Command(StaffCommand):
    help = "Add, show and provision SIMs through the same services as the staff pages."
    stealth_options = ("stdin",)  # where `replace` reads its yes (call_command(..., stdin=...)), as Django's own do
    # Each gateway command's words and permission are its row in the registry (lifecycle.TABLE).
    permissions = {"add": "sims.add_sim", "show": "sims.view_sim", "adopt": ADOPT_PERMISSION,
                   "replace": REPLACE_PERMISSION,
                   **{row.cli.split()[0]: row.permission for row in TABLE.values()}}

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("add", help="record SIMs on our account").add_argument("iccids", nargs="+", metavar="ICCID")
        adopt = sub.add_parser("adopt", help="take over SIMs already in use at aql: each ICCID asked about once "
                                             "(queryiccid), recorded as aql has it, or compared if ours already")
        adopt.add_argument("iccids", nargs="*", metavar="ICCID")
        adopt.add_argument("--file", help="one ICCID a line, or a CSV file with an iccid column")
        adopt.add_argument("--wait", action="store_true",
                           help="ask aql now, from here, and report each ICCID not added (else the worker asks)")
        replace = sub.add_parser("replace", help="replace an active or suspended SIM by an unused one, keeping its "
                                                  "number, subscriber and services (the worker sends each step); "
                                                  "for a terminated SIM, its subscriber's resting number back",
                                 description="Says what will happen (the old SIM is terminated for good), then asks "
                                             "you to type yes; nothing starts otherwise. The worker sends each "
                                             "step; `sim show OLD --json` follows it.")
        replace.add_argument("iccid", metavar="OLD")
        replace.add_argument("--with", dest="new", required=True, metavar="NEW", help="the unused SIM's ICCID")
        replace.add_argument("--imei", help="the handset's IMEI, if not the old SIM's")
        replace.add_argument("--yes", "--no-input", dest="yes", action="store_true",
                             help="go on without asking (scripts); what will happen is printed all the same")
        show = sub.add_parser("show", help="a SIM and its requests")
        show.add_argument("iccid")
        show.add_argument("--json", action="store_true")
        activate = sub.add_parser("activate", help="activate an unused SIM for a subscriber")
        activate.add_argument("iccid")
        for field in ("imei", "number", "name", "address", "postcode", "contact"):
            activate.add_argument(f"--{field}", required=True)
        for command, row in TABLE.items():  # a command that needs nothing but the SIM: its words and the ICCID
            if row.cli.split()[0] not in WITH_INPUT:
                one = sub.add_parser(row.cli, help=f"{command.label} (aql's {command.value})")
                one.add_argument("iccid")
                if row.asks_why:  # a suspend or a termination says why
                    one.add_argument("--reason", required=True, choices=StaffReason.values,
                                     help="why the line is stopped")
                    one.add_argument("--reason-words", default="", metavar="WORDS",
                                     help="why, in a few words (required with --reason other)")
        svc = sub.add_parser("services", help="add or remove services")
        svc.add_argument("iccid")
        which = svc.add_mutually_exclusive_group(required=True)
        which.add_argument("--add", nargs="+", metavar="SERVICE", help=f"of: {', '.join(SERVICES)}")
        which.add_argument("--remove", nargs="+", metavar="SERVICE")
        number = sub.add_parser("number", help="assign or change the geographic number")
        number.add_argument("iccid")
        how = number.add_mutually_exclusive_group(required=True)
        how.add_argument("--assign", metavar="NUMBER")
        how.add_argument("--change", metavar="NUMBER")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.actor(options)
        action = options["action"]
        if action == "add":
            added = services.sim_add(iccids=options["iccids"], actor=actor)
            self.stdout.write(f"{len(added)} SIMs added.")
            return
        if action == "adopt":
            self._adopt(actor, options)
            return
        sim = self._sim(options["iccid"])
        if action == "replace":
            self._replace(sim, actor, options)
            return
        if action == "show":
            self._show(sim, options["json"])
            return
        request = self._run(action, sim, actor, options)
        details = [f"aql request {request.aql_id}"] if request.aql_id else []
        if request.state == RequestState.UNKNOWN:
            details.append(f"Why: {request.reply}")
        details += [f"  {c.code} {c.description}: {c.message}" for c in map(codes.usim, request.codes)]
        self.report(request_outcome(request), *details)

    def _run(self, action: str, sim: Sim, actor: Any, options: dict[str, Any]) -> GatewayRequest:
        if action == "activate":
            return services.sim_activate(sim_id=sim.pk, actor=actor, imei=options["imei"], number=options["number"],
                                         name=options["name"], address=options["address"],
                                         postcode=options["postcode"], contact_number=options["contact"])
        if action == "services":
            if options["add"]:
                return services.sim_services_add(sim_id=sim.pk, actor=actor, services=options["add"])
            return services.sim_services_remove(sim_id=sim.pk, actor=actor, services=options["remove"])
        if action == "number":
            if options["assign"]:
                return services.sim_number_assign(sim_id=sim.pk, actor=actor, number=options["assign"])
            return services.sim_number_change(sim_id=sim.pk, actor=actor, number=options["change"])
        command = next(c for c, row in TABLE.items() if row.cli == action)
        return services.sim_command(sim_id=sim.pk, actor=actor, command=command, reason=options.get("reason"),
                                    reason_words=options.get("reason_words"))

    def _replace(self, sim: Sim, actor: Any, options: dict[str, Any]) -> None:
        """Say what replacing `sim` will do (or what refuses it now), ask for a yes unless --yes, start it."""
        new = self._sim(options["new"])
        said = services.replacement_consequences(sim_id=sim.pk, new_sim_id=new.pk, imei=options["imei"], here=False)
        self.stdout.write("\n".join(said.lines()))
        if not options["yes"] and not self._agreed(options.get("stdin") or sys.stdin):
            raise CommandError("Nothing started: type yes to go on, or give --yes.", returncode=EXIT_REFUSED)
        done = services.sim_replace(sim_id=sim.pk, new_sim_id=new.pk, imei=options["imei"], actor=actor)
        self.stdout.write(f"Replacement {done.pk} started: SIM {new.iccid} takes over from {sim.iccid}. "
                          f"Next: {WORDS[done.step].lower()}. The worker sends each step; see /sims/{sim.iccid}/.")

    def _agreed(self, stdin: TextIO) -> bool:
        """Whether the person typed yes. No terminal to ask (a script, a pipe at its end): not agreed."""
        self.stdout.write("Type yes to go on: ", ending="")
        self.stdout.flush()
        try:
            answer = stdin.readline()
        except (OSError, EOFError):  # no input at all (stdin closed, or a test's captured one)
            answer = ""
        return answer.strip().lower() == "yes"

    def _show(self, sim: Sim, as_json: bool) -> None:
        data = sim_json(sim)
        if as_json:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"{sim.iccid}  {sim.get_state_display()}  number {data['number'] or 'none'}")
        self.stdout.write(f"services: {selectors.services_said(sim.services)}")
        for r in data["requests"]:
            codes_text = "; ".join(f"{c['code']} {c['message']}" for c in r["codes"])
            self.stdout.write(f"  {r['created_at'][:19]}  {r['command']:<13} {r['state']:<9} {codes_text}")

    def _adopt(self, actor: Any, options: dict[str, Any]) -> None:
        """Start an adoption; with --wait, ask aql about each ICCID now and report. Exit 0 when every one
        was answered, 1 when aql said some are not on our account, 3 when some answers are not known."""
        if bool(options["iccids"]) == bool(options["file"]):
            raise CommandError("Give the ICCIDs, or --file with them: one or the other.", returncode=EXIT_REFUSED)
        iccids = options["iccids"] or _listed(Path(options["file"]))
        source = f"file {Path(options['file']).name}" if options["file"] else "the command line"
        adoption = services.adoption_start(iccids=iccids, actor=actor, source=source)
        self.stdout.write(f"Adoption {adoption.pk}: {adoption.size:,} ICCIDs to ask aql about.")
        if not options["wait"]:
            self.stdout.write(f"The worker asks aql about each in turn: see /adoptions/{adoption.pk}/.")
            return
        while _asking(adoption):
            if tasks.adopt_pass() is None:  # the worker's follower is asking them: wait for it
                time.sleep(1)
        adoption.refresh_from_db()
        progress = adoption_progress(adoption, lost_before=lost_before())
        adopted = (Did.ADDED, Did.MATCHED, Did.FOLLOWED)
        for row in adoption_rows(adoption=adoption).exclude(did__in=adopted)[:100]:
            self.stdout.write(f"  {row.iccid}: {row.outcome or row.get_state_display()}")
        self.stdout.write(adoption_summary(adoption, adoption_counts(adoption.pk)))
        refused = dict((said, n) for said, _, n in progress["said"]).get
        code = (EXIT_UNKNOWN if progress["not_known"] or progress["asking"]
                else EXIT_REFUSED if refused(Said.NOT_ON_ACCOUNT) or refused(Said.INVALID) else EXIT_DONE)
        if code != EXIT_DONE:
            raise CommandError("Not every ICCID was adopted: see the lines above.", returncode=code)

    def _sim(self, iccid: str) -> Sim:
        try:
            return selectors.sim_detail(iccid=validators.clean_iccid(iccid, check_digit=False))
        except Sim.DoesNotExist:
            raise CommandError(f"No SIM {iccid} on record (add it with `sim add`).", returncode=EXIT_REFUSED) from None


Said, Did, State = AdoptionRow.Said, AdoptionRow.Did, AdoptionRow.State


def _asking(adoption: Adoption) -> bool:
    """Whether ICCIDs of the adoption wait to be asked, or are being asked (not asked so long ago that
    the answer is lost)."""
    recent = timezone.now() - lost_before()
    return adoption.rows.filter(Q(state=State.WAITING) | Q(state=State.ASKING, asked_at__gte=recent)).exists()


def _listed(path: Path) -> list[str]:
    """The ICCIDs in a file: one a line, or a CSV file whose first line names an iccid column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as lines:
            first = lines.readline()
            if not any(ch.isalpha() for ch in first):  # no header: an ICCID a line
                return [line.strip() for line in chain([first], lines) if line.strip()]
            try:
                dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
            except csv.Error:  # one column: nothing to tell
                dialect = csv.excel
            rows = csv.reader(chain([first], lines), dialect)
            header = [name.strip().lower() for name in next(rows)]
            if "iccid" not in header:
                raise CommandError(f"{path.name} has no iccid column: its first line names the columns.",
                                   returncode=EXIT_REFUSED)
            at = header.index("iccid")
            return [row[at].strip() for row in rows if len(row) > at and row[at].strip()]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"Cannot read {path}: {exc}", returncode=EXIT_REFUSED) from None
