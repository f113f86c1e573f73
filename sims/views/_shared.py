"""What several page families of the SIM app share: a SIM by its ICCID, the button on what holds a
command, and a CSV file streamed."""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.errorpages import Missing
from common.web import forbidden, requires, shows_refusals
from sims import lifecycle, selectors
from sims.lifecycle import Command
from sims.models import Sim


def _sim(iccid: str) -> Sim:
    try:
        return selectors.sim_detail(iccid=iccid)
    except Sim.DoesNotExist:
        raise Missing("No SIM with that ICCID.") from None


def _command_button(found: QuerySet, back: str | Callable[[HttpRequest], str]) -> Callable[..., Callable]:
    """The view of a button on what holds a command (a batch, a scheduled action), found in `found`
    by the URL's one id: for one who may give that command, as for one SIM. A refusal goes `back`."""

    def decorate(act: Callable[[HttpRequest, Any], HttpResponse]) -> Callable[..., HttpResponse]:
        @requires("sims.view_sim")
        @require_POST
        @shows_refusals(back)
        @wraps(act)
        def view(request: HttpRequest, **ids: int) -> HttpResponse:
            (pk,) = ids.values()
            holder = get_object_or_404(found, pk=pk)
            permission = lifecycle.TABLE[Command(holder.command)].permission
            if not request.user.has_perm(permission):
                return forbidden(request, permission)
            return act(request, holder)

        return view

    return decorate


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""

