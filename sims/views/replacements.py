"""Replacing a SIM, keeping its number: the page that starts it (the new SIM found by its last digits,
the handset kept or changed, then a confirmation that says what will happen), and a Supervisor's
resume or abandon of one that stopped."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.errors import Refused, refusal_text
from common.forms import add_refusal
from common.web import requires
from sims import services
from sims.forms import ReplaceForm
from sims.lifecycle import SimState
from sims.models import GatewayRequest, Replacement, Sim
from sims.selectors_replacements import replacement_said, sim_replacement_latest
from sims.services.replacements import LIVE, REPLACE_PERMISSION, SUPERVISE_PERMISSION, resting_number, suspend_sent
from sims.views._shared import _sim


def replacement_context(sim: Sim, user: User, in_flight: GatewayRequest | None) -> dict:
    """What the SIM page shows of a replacement (its latest, under way or finished), and whether it
    offers to start one: one query, whatever else the page shows."""
    replacement = sim_replacement_latest(sim_id=sim.pk)
    suspending = in_flight is not None and suspend_sent(in_flight)  # lost: replace it now
    busy = (in_flight is not None and not suspending) or (replacement is not None and replacement.holding)
    may = not busy and user.has_perm(REPLACE_PERMISSION)
    returning = may and sim.state == SimState.TERMINATED and resting_number(sim)  # their old number back
    return {"replacement": replacement, "replacement_said": replacement and replacement_said(replacement),
            "may_replace": may and sim.state in LIVE, "may_return": returning,
            "may_supervise_replacement": user.has_perm(SUPERVISE_PERMISSION)}


@requires(REPLACE_PERMISSION)
def sim_replace(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = ReplaceForm(request.POST or None)
    new = said = None
    if request.method == "POST" and form.is_valid():
        new = Sim.objects.get(iccid=form.cleaned_data["new_sim"])
        imei = form.cleaned_data["imei"] or None
        try:
            if request.POST.get("confirmed"):
                started = services.sim_replace(sim_id=sim.pk, new_sim_id=new.pk, actor=request.user, imei=imei)
                messages.success(request, f"Replacement {started.pk} started: the worker sends each step, and this "
                                          "page follows it.")
                return redirect("sims:sim_detail", iccid=sim.iccid)
            # What it will do, in words, to confirm; or what it would refuse now, before anyone confirms.
            said = services.replacement_consequences(sim_id=sim.pk, new_sim_id=new.pk, imei=imei)
        except (ValidationError, Refused) as exc:
            add_refusal(form, exc)
            new = None
    returning = resting_number(sim) if sim.state == SimState.TERMINATED else None
    return render(request, "sims/replace.html", {"sim": sim, "form": form, "new": new, "said": said,
                                                 "returning": returning})


def _supervise(act: Callable[..., Replacement], done: str) -> Callable[..., HttpResponse]:
    """A Supervisor's button on a replacement: its refusal, or what was done, shown on the old SIM's page."""
    @requires(SUPERVISE_PERMISSION)
    @require_POST
    def view(request: HttpRequest, replacement: int) -> HttpResponse:  # the URL names the replacement's id
        found = get_object_or_404(Replacement.objects.select_related("old_sim"), pk=replacement)
        try:
            act(replacement_id=found.pk, actor=request.user)
        except Refused as exc:
            messages.error(request, refusal_text(exc))
        else:
            messages.success(request, f"Replacement {found.pk} {done}.")
        return redirect("sims:sim_detail", iccid=found.old_sim.iccid)
    return view


replacement_resume = _supervise(services.replacement_resume, "resumed: its step is sent again")
replacement_abandon = _supervise(services.replacement_abandon, "abandoned")
