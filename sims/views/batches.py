"""Staff pages of batches: the list, starting one from the SIM list (what it would do first, then the
batch), a batch's own page (its progress and its SIMs, a page at a time by outcome), its buttons (try
again, cancel) and its CSV. Thin: parse, call one service or selector, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from aql.usim import SERVICES
from common.csvout import csv_download
from common.errors import Refused
from common.forms import add_refusal
from common.paging import choice, cursor, every_row
from common.web import forbidden, posted_next, requires, shows_refusals
from sims import lifecycle, selectors, services
from sims.forms import BatchForm
from sims.lifecycle import Command, SimState
from sims.models import Batch, Sim
from sims.outcomes import request_outcome
from sims.selectors_batches import BATCH_OUTCOMES, batch_retryable, batch_rows_page, sims_can_take
from sims.services.batches import CHUNK
from sims.views._shared import _command_button


def _batch_sims(request: HttpRequest) -> tuple[list[int], dict[str, str], QuerySet[Sim]]:
    """The SIMs a batch form names: the ticked ones, or every SIM the list's filter shows (at most
    one more than a batch may hold, so too many is said, not read in full); and those SIMs as a
    query, to count what they can take without reading them."""
    post = request.POST
    shown = {"q": post.get("q", "").replace("\x00", "").strip()[:100],
             "state": post.get("state", "") if post.get("state", "") in SimState.values else "",
             "service": post.get("service", "") if post.get("service", "") in SERVICES else ""}
    if post.get("scope") == "filter":
        found = selectors.sims_filtered(search=shown["q"], state=shown["state"], service=shown["service"],
                                        by_person=request.user.has_perm("sims.see_personal_details"))
        if (upto := post.get("upto", "")).isascii() and upto.isdigit():  # confirmed: none added since it was shown
            found = found.filter(pk__lte=int(upto))
        ids = list(found.order_by("pk").values_list("pk", flat=True)[:services.BATCH_AT_MOST + 1])
        return ids, shown, found.filter(pk__lte=max(ids, default=0))
    ids = [int(pk) for pk in post.getlist("sim") if pk.isascii() and pk.isdigit()][:services.BATCH_AT_MOST + 1]
    return ids, shown, Sim.objects.filter(pk__in=ids)


def _can_take(chosen: QuerySet[Sim], ids: list[int], command: Command, scope: str) -> dict[str, int]:
    """How many of the chosen SIMs can take the command now, and why the others cannot. Ticked SIMs
    (a page of them) are counted by id, a chunk at a time: a query may hold only so many ids."""
    if scope == "filter":
        return sims_can_take(sims=chosen, command=command)
    counts = {"ready": 0, "busy": 0, "cannot": 0}
    for start in range(0, len(ids), CHUNK):
        part = sims_can_take(sims=Sim.objects.filter(pk__in=ids[start:start + CHUNK]), command=command)
        counts = {key: counts[key] + part[key] for key in counts}
    return counts


@requires("sims.view_sim")
@require_POST
@shows_refusals(posted_next("sims:sim_list"))
def batch_new(request: HttpRequest) -> HttpResponse:
    """From the SIM list: what the batch would do (how many of the SIMs can take the command now, and
    what becomes of the others), then (confirmed) the batch itself."""
    command = request.POST.get("command", "")
    if command not in services.BATCH_COMMANDS:
        raise Refused("Choose what to do with the SIMs.")
    command = Command(command)
    permission = lifecycle.TABLE[command].permission
    if not request.user.has_perm(permission):
        return forbidden(request, permission)
    ids, shown, chosen = _batch_sims(request)
    if not ids:
        raise Refused("No SIMs chosen: tick some, or choose every SIM the filter shows.")
    if len(ids) > services.BATCH_AT_MOST:
        raise Refused(f"At most {services.BATCH_AT_MOST:,} SIMs in one batch: narrow the filter first.")
    confirmed = request.POST.get("confirmed") == "1"
    form = BatchForm(request.POST if confirmed else None, command=command, count=len(ids))
    if confirmed and form.is_valid() and form.cleaned_data.get("due_at"):
        try:
            made = services.schedule_add(sim_ids=ids, command=command, due_at=form.cleaned_data["due_at"],
                                         actor=request.user, reason=form.cleaned_data.get("reason"),
                                         reason_words=form.cleaned_data.get("reason_words"))
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"{command.label} scheduled for {len(made):,} SIMs.")
            return redirect("sims:schedule_list")
    elif confirmed and form.is_valid():
        batch = services.batch_start(sim_ids=ids, command=command, actor=request.user,
                                     services=form.cleaned_data.get("services"), reason=form.cleaned_data.get("reason"),
                                     reason_words=form.cleaned_data.get("reason_words"))
        messages.success(request, f"{command.label} queued for {batch.size:,} SIMs: the worker sends them in turn.")
        return redirect("sims:batch_detail", batch=batch.pk)
    scope = "filter" if request.POST.get("scope") == "filter" else "ticked"
    return render(request, "sims/batch_confirm.html", {
        "form": form, "command": command, "count": len(ids), "shown": shown, "scope": scope, "ids": ids,
        "upto": max(ids), "can_take": _can_take(chosen, ids, command, scope),
        "needs_number": lifecycle.TABLE[command].needs_number,
        "next": posted_next("sims:sim_list")(request)})


@requires("sims.view_sim")
def batch_detail(request: HttpRequest, batch: int) -> HttpResponse:
    """A batch's progress (redrawn while SIMs wait or aql works) and its SIMs, a page at a time,
    narrowed by outcome, each linked to its SIM with how it went in words. "Try again" offers only
    the SIMs that could go through now."""
    batch = get_object_or_404(Batch, pk=batch)
    progress = selectors.batch_progress(batch)
    outcome = choice(request, "outcome", BATCH_OUTCOMES)
    page = batch_rows_page(batch=batch, outcome=outcome, cursor=cursor(request))
    may_give = request.user.has_perm(lifecycle.TABLE[Command(batch.command)].permission)
    may_retry = may_give and batch.command != Command.DEACTIVATE and progress["failed"]
    retryable = len(batch_retryable(batch=batch)) if may_retry else 0
    live = not selectors.batch_finished(batch, progress)  # its card's last redraw takes the "queued" banner away
    return render(request, "sims/batch_detail.html", {
        "batch": batch, "progress": progress, "page": page, "outcome": outcome,
        "outcomes": [(name, words, progress[name]) for name, (words, _) in BATCH_OUTCOMES.items()],
        "rows": [(row, request_outcome(row)) for row in page.rows],
        "retryable": retryable, "not_retryable": progress["failed"] - retryable if may_retry else 0,
        "may_cancel": may_give and progress["waiting"],
        "live": live, "messages_redrawn": bool(request.headers.get("HX-Request")) and not live,
        "done": batch.size - progress["waiting"] - progress["in_progress"] - progress["unknown"]})


@requires("sims.view_sim")
def batch_list(request: HttpRequest) -> HttpResponse:
    page = selectors.batch_page(cursor=cursor(request))
    return render(request, "sims/batch_list.html", {"batches": page.rows, "page": page})


_batch_button = _command_button(Batch.objects.all(), "sims:batch_detail")


@_batch_button
def batch_retry(request: HttpRequest, batch: Batch) -> HttpResponse:
    """The failed SIMs of a batch, again. Terminating is not retried by a button: a new batch from
    the SIM list asks for the count typed out."""
    if batch.command == Command.DEACTIVATE:
        raise Refused("To terminate them again, choose the SIMs on the SIM list: it asks for the count typed out.")
    if batch.command == Command.ACTIVATE:  # the rows again, from the batch's file, to preview and confirm
        upload = services.activations_retry(batch_id=batch.pk, actor=request.user)
        messages.info(request, "The rows that did not go through, checked again: confirm to queue them.")
        return redirect("sims:sim_import_preview", upload=upload.pk)
    again = services.batch_retry(batch_id=batch.pk, actor=request.user)
    messages.success(request, f"The {again.size:,} SIMs that did not go through are queued again.")
    return redirect("sims:batch_detail", batch=again.pk)


@_batch_button
def batch_cancel(request: HttpRequest, batch: Batch) -> HttpResponse:
    """Cancel what of a batch is still waiting to be sent; what was sent goes on."""
    cancelled = services.batch_cancel(batch_id=batch.pk, actor=request.user)
    messages.success(request, f"{cancelled:,} SIMs still waiting were not sent: cancelled." if cancelled
                     else "The rest of the file will not be queued: cancelled.")
    return redirect("sims:batch_detail", batch=batch.pk)


@requires("sims.view_sim")
def batch_csv(request: HttpRequest, batch: int) -> StreamingHttpResponse:
    """Each SIM of the batch with how it went, in words."""
    batch = get_object_or_404(Batch, pk=batch)
    return csv_download(f"batch-{batch.pk}.csv", ["iccid", "command", "state", "outcome", "aql_request_id", "reason"], (
        [row.sim.iccid, row.get_command_display(), row.get_state_display(), request_outcome(row).text, row.aql_id or "",
         row.reason or ""] for row in every_row(selectors.batch_rows(batch=batch))))
