"""Staff pages for settling an unknown outcome: aql's record of the SIM since the request was sent
(staff's looks and the worker's own), what that record can and cannot show for the command, and the
ways to make it certain: a look at aql, sending a change again that is safe to send twice, or a
Supervisor's decision on evidence. Thin: parse, call one service, render."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from access.decorators import second_factor_recent
from aql.usim import read_iccid_status
from common.errors import Refused
from common.forms import add_refusal
from common.web import requires, say, shows_refusals
from sims import services
from sims.forms import SERVICE_LABELS, SettleForm
from sims.lifecycle import SENT_AGAIN_SAFELY, SHOWN_BY_QUERY, Command
from sims.models import GatewayRequest
from sims.outcomes import request_outcome
from sims.services.followup import settle_window_ended
from sims.services.resend import send_again_from

# What aql's record (queryiccid) shows for each command that is not a services change.
RECORD_SHOWS = {Command.ACTIVATE: "the SIM's state (active once activated) and its number",
                Command.SUSPEND: "the SIM's state (suspended once done)",
                Command.REACTIVATE: "the SIM's state (active once done)",
                Command.DEACTIVATE: "the SIM's state (terminated once done)",
                Command.ASSIGNGEO: "the SIM's number", Command.CHANGEGEO: "the SIM's number"}


def record_shows(journal: GatewayRequest) -> tuple[list[str], list[str]]:
    """What aql's record can show of this request's change, and what it cannot, in words."""
    command = Command(journal.command)
    if command not in SENT_AGAIN_SAFELY:
        return [RECORD_SHOWS.get(command, "the SIM's state")], []
    asked = journal.params.get("services", [])
    words = {name: label[0].lower() + label[1:] for name, label in SERVICE_LABELS.items()}  # "outgoing SMS"
    return ([words[s] for s in asked if s in SHOWN_BY_QUERY], [words[s] for s in asked if s not in SHOWN_BY_QUERY])


@requires("sims.settle_request")
@second_factor_recent
def request_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Settle an unknown outcome: aql's record of the SIM first, then a way to make it certain."""
    journal = get_object_or_404(GatewayRequest.objects.select_related("sim", "actor"), pk=pk)
    shows, cannot = record_shows(journal)
    form = SettleForm(request.POST or None)
    if cannot:  # no look at aql can show it: a decision rests on aql support's word instead
        form.fields["confirm"].label = "aql support has told me the outcome, and I am sure"
        form.fields["happened"].label = "What aql support said"
    if request.method == "POST" and form.is_valid():
        try:
            result = services.request_resolve(request_id=journal.pk, happened=form.cleaned_data["happened"],
                                              actor=request.user)
        except Refused as exc:
            add_refusal(form, exc)
        else:
            say(request, request_outcome(result))
            return redirect("sims:sim_detail", iccid=journal.sim.iccid)
    looks = [(look, read_iccid_status(look.reply)) for look in services.request_looks(request=journal)]
    return render(request, "sims/request_settle.html", {
        "journal": journal, "form": form, "looks": looks, "look": looks[0][0] if looks else None,
        "aql": looks[0][1] if looks else None, "shows": shows, "cannot": cannot,
        "send_again": journal.command in SENT_AGAIN_SAFELY, "send_again_from": send_again_from(journal),
        "send_again_now": settle_window_ended(journal),
        "asked": [SERVICE_LABELS[s] for s in journal.params.get("services", []) if s in SERVICE_LABELS]})


@requires("sims.settle_request")
@require_POST
@shows_refusals("sims:request_resolve")
def request_look(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask aql about the SIM of an unknown request now, and come back to settling it."""
    journal = get_object_or_404(GatewayRequest, pk=pk)
    services.sim_query(sim_id=journal.sim_id, actor=request.user)
    return redirect("sims:request_resolve", pk=journal.pk)


@requires("sims.settle_request")
@require_POST
@shows_refusals("sims:request_resolve")
def request_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a services change whose outcome is unknown again: its answer makes it certain."""
    journal = get_object_or_404(GatewayRequest.objects.select_related("sim"), pk=pk)
    say(request, request_outcome(services.request_send_again(request_id=journal.pk, actor=request.user)))
    return redirect("sims:sim_detail", iccid=journal.sim.iccid)
