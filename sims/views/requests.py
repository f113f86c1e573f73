"""Staff pages for the request journal: the list (and its CSV) and checking one request with aql now.
Thin: parse, call one service, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.csvout import csv_download
from common.paging import choice, cursor, every_row, parse_date_or_none, search_text
from common.web import posted_next, requires, say
from sims import lifecycle, selectors, services
from sims.lifecycle import Command, RequestState
from sims.models import GatewayRequest
from sims.outcomes import request_outcome
from sims.reasons import StopReason
from sims.views._shared import _when


def _request_filters(request: HttpRequest) -> dict:
    return {"show": choice(request, "show", selectors.REQUEST_VIEWS),
            "who": choice(request, "who", selectors.WHO, default="staff"),
            "person": search_text(request, "person")[:150], "command": choice(request, "command", Command.values),
            "state": choice(request, "state", RequestState.values), "since": parse_date_or_none(request, "since"),
            "reason": choice(request, "reason", StopReason.values)}


@requires("sims.view_gatewayrequest")
def request_list(request: HttpRequest) -> HttpResponse:
    filters = _request_filters(request)
    page = selectors.request_page(**filters, cursor=cursor(request))
    redraw = bool(request.headers.get("HX-Request"))  # the rows' own redraw asks for the rows alone
    live = any(r.in_flight for r in page.rows)
    return render(request, "sims/_request_rows.html" if redraw else "sims/request_list.html", {
        "requests": page.rows, "page": page, **filters, "commands": Command.choices, "states": RequestState.choices,
        "reasons": StopReason.choices,
        "live": live, "messages_redrawn": redraw and not live})  # its last: a banner of one in flight goes


@requires(lifecycle.PROVISION)
@require_POST
def request_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Check one request with aql now, without waiting for the worker's next pass."""
    journal = get_object_or_404(GatewayRequest, pk=pk)
    if not journal.in_flight:
        messages.info(request, "That request has already finished.")
    else:
        say(request, request_outcome(services.request_poll(request_id=journal.pk)))
    return redirect(posted_next("sims:request_list")(request))


@requires("sims.view_gatewayrequest")
def request_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The journal as its page's filters narrow it, oldest first, each outcome in words."""
    found = selectors.with_latest_message(selectors.requests_filtered(**_request_filters(request)))
    return csv_download("journal.csv", ["id", "sent_at", "iccid", "command", "state", "outcome", "by", "aql_request_id",
                                "batch", "settled_at", "reason"], (
        [r.pk, _when(r.created_at), r.sim.iccid, r.get_command_display(), r.get_state_display(),
         request_outcome(r).text, r.actor_name, r.aql_id or "", r.batch_id or "", _when(r.settled_at), r.reason or ""]
        for r in every_row(found)))
