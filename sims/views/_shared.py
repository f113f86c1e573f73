"""What several page families of the SIM app share: a SIM by its ICCID, the button on what holds a
command, and a CSV file streamed."""

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from itertools import chain
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
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


class _Echo:
    """A file that hands back what is written: csv.writer's rows, streamed one at a time."""

    def write(self, value: str) -> str:
        return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    """A value a spreadsheet will not run as a formula: one starting like a formula gets a quote."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _csv(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A CSV file streamed a row at a time (a million rows in little memory); its columns are in
    docs/EXPORTS.md."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        chain([writer.writerow(header)], (writer.writerow([_cell(v) for v in r]) for r in rows)),
        content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""
