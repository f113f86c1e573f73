"""Staff pages for suspends and reactivations for later: scheduling one for a SIM, the list, moving
and cancelling. Thin: parse, call one service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from common.errors import Refused
from common.forms import add_refusal
from common.paging import cursor
from common.web import posted_next, requires
from sims import lifecycle, selectors, services
from sims.forms import RescheduleForm, ScheduleForm
from sims.lifecycle import Command
from sims.models import ScheduledAction
from sims.views._shared import _command_button, _sim


@requires(lifecycle.PROVISION)
def sim_schedule(request: HttpRequest, iccid: str) -> HttpResponse:
    """Schedule a suspend or a reactivate of this SIM for a time to come."""
    sim = _sim(iccid)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_add(sim_ids=[sim.pk], command=form.cleaned_data["command"],
                                  due_at=form.cleaned_data["due_at"], actor=request.user,
                                  reason=form.cleaned_data["reason"], reason_words=form.cleaned_data["reason_words"])
        except (ValidationError, Refused) as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"{Command(form.cleaned_data['command']).label} scheduled for "
                                      f"{timezone.localtime(form.cleaned_data['due_at']):%d %b %Y %H:%M}.")
            return redirect("sims:sim_detail", iccid=sim.iccid)
    return render(request, "sims/schedule.html", {"form": form, "sim": sim})


@requires("sims.view_sim")
def schedule_list(request: HttpRequest) -> HttpResponse:
    """What is scheduled, soonest first (or what ran or was cancelled, newest first), each movable
    and cancellable until it runs."""
    done = request.GET.get("show") == "done"
    page = selectors.schedule_page(done=done, cursor=cursor(request))
    return render(request, "sims/schedule_list.html", {"actions": page.rows, "page": page, "done": done,
                                                       "form": RescheduleForm()})


_schedule_button = _command_button(ScheduledAction.objects.select_related("sim"), posted_next("sims:schedule_list"))


@_schedule_button
def schedule_change(request: HttpRequest, action: ScheduledAction) -> HttpResponse:
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        raise Refused(" ".join(form.errors["due_at"]))
    services.schedule_change(action_id=action.pk, due_at=form.cleaned_data["due_at"], actor=request.user)
    messages.success(request, f"{action.get_command_display()} of {action.sim.iccid} moved to "
                              f"{timezone.localtime(form.cleaned_data['due_at']):%d %b %Y %H:%M}.")
    return redirect(posted_next("sims:schedule_list")(request))


@_schedule_button
def schedule_cancel(request: HttpRequest, action: ScheduledAction) -> HttpResponse:
    services.schedule_cancel(action_id=action.pk, actor=request.user)
    messages.success(request, f"{action.get_command_display()} of {action.sim.iccid} cancelled: it will not run.")
    return redirect(posted_next("sims:schedule_list")(request))
