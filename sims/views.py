"""Staff pages for SIMs, the request journal and the number pool. Thin: parse, call one service, render.

A refusal raised by a service is shown by `common.web.shows_refusals`; a form page puts it
beside its field instead (`common.forms.add_refusal`).
"""

import csv
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from itertools import chain
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from aql.usim import SERVICES
from common.errorpages import Missing
from common.errors import Refused
from common.forms import add_refusal
from common.paging import choice, cursor, every_row, parse_date_or_none, search_text
from common.validators import phone_national
from common.web import forbidden, posted_next, requires, say, shows_refusals
from sims import lifecycle, search, selectors, services
from sims.forms import (
    SERVICE_LABELS,
    ActivateForm,
    BulkNumbersForm,
    BulkSimsForm,
    DeactivateForm,
    NumberForm,
    RescheduleForm,
    ScheduleForm,
    ServicesForm,
    UploadForm,
)
from sims.lifecycle import Command, RequestState, SimState
from sims.models import Batch, GatewayRequest, ScheduledAction, Sim, Upload
from sims.outcomes import request_outcome
from sims.permissions import command_requires
from sims.services.imports import COLUMNS


def _sim(iccid: str) -> Sim:
    try:
        return selectors.sim_detail(iccid=iccid)
    except Sim.DoesNotExist:
        raise Missing("No SIM with that ICCID.") from None


@requires("sims.view_sim")
def sim_list(request: HttpRequest) -> HttpResponse:
    q = search_text(request)
    state = choice(request, "state", SimState.values)
    service = choice(request, "service", SERVICES)
    sort = selectors.sim_sort(choice(request, "sort", selectors.SIM_SORTS, default="updated"), service)
    by_person = request.user.has_perm("sims.see_personal_details")
    page = selectors.sim_page(search=q, by_person=by_person, state=state, service=service, sort=sort,
                              cursor=cursor(request))
    return render(request, "sims/sim_list.html", {
        "sims": page.rows, "page": page, "q": q, "hint": search.search_hint(q), "state": state,
        "cut_short": search.search_cut_short(q, by_person=by_person) and search.NAME_MATCHES,
        "service": service, "sort": sort,
        "states": SimState.choices, "services": SERVICE_LABELS.items(),
        "batch_commands": [(c.value, c.label) for c in services.BATCH_COMMANDS
                           if request.user.has_perm(lifecycle.TABLE[c].permission)],
        "live": any(sim.in_flight_label for sim in page.rows),  # read with the rows: no query more
    })


@requires("sims.add_sim")
def sim_add(request: HttpRequest) -> HttpResponse:
    """Record SIMs aql put on our account: a page of its own, the outcome at the top."""
    form = BulkSimsForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (added := form.add(actor=request.user)) is not None:
        messages.success(request, f"{added:,} SIMs added.")
        return redirect("sim_list")
    return render(request, "sims/sim_add.html", {"form": form})


def _detail_context(sim: Sim, user: User) -> dict:
    in_flight = selectors.sim_in_flight(sim=sim)
    allowed = [c for c in lifecycle.allowed_commands(state=sim.state, has_number=sim.number_id is not None,
                                                     in_flight=in_flight.command if in_flight else None)
               if user.has_perm(lifecycle.TABLE[c].permission)]  # the buttons: the SIM's state and the user's role
    return {"sim": sim, "in_flight": in_flight, "allowed": allowed, "Command": Command,
            "timeline": selectors.sim_timeline(sim=sim),
            "service_states": (states := selectors.service_states(sim=sim, in_flight=in_flight)),
            "services_shown": [s for s in states if s[2] != "off"],  # on, or changing
            "order": getattr(sim, "order", None),
            "schedulable": selectors.sim_schedulable(sim=sim),
            "scheduled": list(sim.scheduled.filter(state=ScheduledAction.State.SCHEDULED).order_by("due_at", "pk"))}


@requires("sims.view_sim")
def sim_detail(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    context = _detail_context(sim, request.user)
    context["services_form"] = ServicesForm(initial={"services": sim.services})
    # While aql works on it, the page asks for itself again and takes the whole SIM from the answer
    # (state, number, services, subscriber, what can be done, the timeline): nothing stays stale.
    if request.headers.get("HX-Request") and context["in_flight"] is None and (
            last := selectors.sim_last_command(sim=sim)):  # the page's last redraw: what it followed has ended
        say(request, request_outcome(last))  # its "sent: aql is working on it" banner gives way to how it went
        context["messages_redrawn"] = True
    return render(request, "sims/sim_detail.html", context)


def _button(service: Callable[..., GatewayRequest]) -> Callable[..., HttpResponse]:
    """A command with no input of its own (a button): run it, say how, back to the SIM (its page checks who may)."""

    @require_POST
    @shows_refusals("sim_detail")
    @wraps(service)
    def view(request: HttpRequest, iccid: str) -> HttpResponse:
        sim = _sim(iccid)
        say(request, request_outcome(service(sim_id=sim.pk, actor=request.user)))
        return redirect("sim_detail", iccid=sim.iccid)

    return view


_suspend_now = _button(services.sim_suspend)


@command_requires(Command.SUSPEND)
def sim_suspend(request: HttpRequest, iccid: str) -> HttpResponse:
    """Suspending stops the subscriber's service: the agent confirms it on a page of its own first."""
    if request.method == "POST":
        return _suspend_now(request, iccid)
    return render(request, "sims/suspend.html", {"sim": _sim(iccid)})


sim_reactivate = command_requires(Command.REACTIVATE)(_button(services.sim_reactivate))
sim_query = command_requires(Command.QUERYICCID)(_button(services.sim_query))


@requires("sims.erase_subscriber")
@require_POST
@shows_refusals("sim_detail")
def sim_erase_subscriber(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    services.subscriber_erase(sim_id=sim.pk, actor=request.user)
    messages.success(request, "The subscriber's personal details were erased.")
    return redirect("sim_detail", iccid=sim.iccid)


def _form_page(request: HttpRequest, form, template: str, send: Callable[[dict], GatewayRequest],
               context: dict) -> HttpResponse:
    """A command with a form: errors (ours, our rules', aql's) go next to their fields, and what was typed stays."""
    if request.method == "POST" and form.is_valid():
        try:
            result = send(form.cleaned_data)
        except (ValidationError, Refused) as exc:
            add_refusal(form, exc)
        else:
            if not form.add_gateway_errors(result):
                say(request, request_outcome(result))
                return redirect("sim_detail", iccid=context["sim"].iccid)
    return render(request, template, {"form": form, **context})


@command_requires(Command.ACTIVATE)
def sim_activate(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = ActivateForm(request.POST or None)
    return _form_page(request, form, "sims/activate.html", lambda data: services.sim_activate(
        sim_id=sim.pk, actor=request.user, **data), {"sim": sim})


@command_requires(Command.ASSIGNGEO)  # and changing: one permission for both (a test holds them equal)
def sim_number(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = NumberForm(request.POST or None)
    service = services.sim_number_change if sim.number_id else services.sim_number_assign
    return _form_page(request, form, "sims/number.html",
                      lambda data: service(sim_id=sim.pk, actor=request.user, number=data["number"]), {"sim": sim})


@command_requires(Command.DEACTIVATE)
def sim_deactivate(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = DeactivateForm(request.POST or None, iccid=sim.iccid)
    return _form_page(request, form, "sims/deactivate.html",
                      lambda data: services.sim_deactivate(sim_id=sim.pk, actor=request.user), {"sim": sim})


@command_requires(Command.ADDSERVICE)  # and removing: one permission for both (a test holds them equal)
@require_POST
def sim_services(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = ServicesForm(request.POST)

    def send(data: dict) -> GatewayRequest:
        return services.sim_services_set(sim_id=sim.pk, actor=request.user, services=data["services"])

    # On a refusal the SIM's own page comes back, the errors beside the ticked services.
    return _form_page(request, form, "sims/sim_detail.html", send,
                      {**_detail_context(sim, request.user), "services_form": form})


def _request_filters(request: HttpRequest) -> dict:
    return {"show": choice(request, "show", selectors.REQUEST_VIEWS),
            "who": choice(request, "who", selectors.WHO, default="staff"),
            "person": search_text(request, "person")[:150], "command": choice(request, "command", Command.values),
            "state": choice(request, "state", RequestState.values), "since": parse_date_or_none(request, "since")}


@requires("sims.view_gatewayrequest")
def request_list(request: HttpRequest) -> HttpResponse:
    filters = _request_filters(request)
    page = selectors.request_page(**filters, cursor=cursor(request))
    redraw = bool(request.headers.get("HX-Request"))  # the rows' own redraw asks for the rows alone
    live = any(r.in_flight for r in page.rows)
    return render(request, "sims/_request_rows.html" if redraw else "sims/request_list.html", {
        "requests": page.rows, "page": page, **filters, "commands": Command.choices, "states": RequestState.choices,
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
    return redirect(posted_next("request_list")(request))


@requires("sims.view_geographicnumber")
def number_list(request: HttpRequest) -> HttpResponse:
    show = choice(request, "show", selectors.NUMBER_VIEWS)
    q = search_text(request)
    if request.method == "POST" and not request.user.has_perm("sims.add_geographicnumber"):
        return forbidden(request, "sims.add_geographicnumber")
    form = BulkNumbersForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (added := form.add(actor=request.user)) is not None:
        messages.success(request, f"{added} numbers added to the pool.")
        return redirect("number_list")
    page = selectors.number_page(show=show, search=q, cursor=cursor(request))
    return render(request, "sims/number_list.html", {"numbers": page.rows, "page": page,
                                                     "show": show, "q": q, "form": form})



# --- batches: one command for many SIMs (starting one and its page: sims/views_batches.py) ----------

@requires("sims.view_sim")
def batch_list(request: HttpRequest) -> HttpResponse:
    page = selectors.batch_page(cursor=cursor(request))
    return render(request, "sims/batch_list.html", {"batches": page.rows, "page": page})


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


_batch_button = _command_button(Batch.objects.all(), "batch_detail")


@_batch_button
def batch_retry(request: HttpRequest, batch: Batch) -> HttpResponse:
    """The failed SIMs of a batch, again. Terminating is not retried by a button: a new batch from
    the SIM list asks for the count typed out."""
    if batch.command == Command.DEACTIVATE:
        raise Refused("To terminate them again, choose the SIMs on the SIM list: it asks for the count typed out.")
    if batch.command == Command.ACTIVATE:  # the rows again, from the batch's file, to preview and confirm
        upload = services.activations_retry(batch_id=batch.pk, actor=request.user)
        messages.info(request, "The rows that did not go through, checked again: confirm to queue them.")
        return redirect("sim_import_preview", upload=upload.pk)
    again = services.batch_retry(batch_id=batch.pk, actor=request.user)
    messages.success(request, f"The {again.size:,} SIMs that did not go through are queued again.")
    return redirect("batch_detail", batch=again.pk)


@_batch_button
def batch_cancel(request: HttpRequest, batch: Batch) -> HttpResponse:
    """Cancel what of a batch is still waiting to be sent; what was sent goes on."""
    cancelled = services.batch_cancel(batch_id=batch.pk, actor=request.user)
    messages.success(request, f"{cancelled:,} SIMs still waiting were not sent: cancelled." if cancelled
                     else "The rest of the file will not be queued: cancelled.")
    return redirect("batch_detail", batch=batch.pk)


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


@requires("sims.view_sim")
def batch_csv(request: HttpRequest, batch: int) -> StreamingHttpResponse:
    """Each SIM of the batch with how it went, in words."""
    batch = get_object_or_404(Batch, pk=batch)
    return _csv(f"batch-{batch.pk}.csv", ["iccid", "command", "state", "outcome", "aql_request_id"], (
        [row.sim.iccid, row.get_command_display(), row.get_state_display(), request_outcome(row).text, row.aql_id or ""]
        for row in every_row(selectors.batch_rows(batch=batch))))


@requires("sims.view_sim")
def sim_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every SIM the list's search and filters show, oldest first. The subscriber's name and
    postcode only for one who may see personal details (the list masks them for others)."""
    personal = request.user.has_perm("sims.see_personal_details")
    found = selectors.sims_filtered(search=search_text(request), by_person=personal,
                                    state=choice(request, "state", SimState.values),
                                    service=choice(request, "service", SERVICES))
    header = ["iccid", "state", "number", "services", "premium", "imei", "product_code", "batch", "added_at",
              "changed_at", *(["subscriber_name", "subscriber_postcode"] if personal else [])]

    def row(sim: Sim) -> list:
        person = [sim.subscriber.name, sim.subscriber.postcode] if sim.subscriber else ["", ""]
        return [sim.iccid, sim.get_state_display(), phone_national(sim.number.number) if sim.number else "",
                " ".join(sim.services), "yes" if sim.premium else "no", sim.imei, sim.product_code or "",
                sim.lot or "", _when(sim.created_at), _when(sim.updated_at), *(person if personal else [])]

    return _csv("sims.csv", header, map(row, every_row(found)))


@requires("sims.view_gatewayrequest")
def request_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The journal as its page's filters narrow it, oldest first, each outcome in words."""
    found = selectors.with_latest_message(selectors.requests_filtered(**_request_filters(request)))
    return _csv("journal.csv", ["id", "sent_at", "iccid", "command", "state", "outcome", "by", "aql_request_id",
                                "batch", "settled_at"], (
        [r.pk, _when(r.created_at), r.sim.iccid, r.get_command_display(), r.get_state_display(),
         request_outcome(r).text, r.actor_name, r.aql_id or "", r.batch_id or "", _when(r.settled_at)]
        for r in every_row(found)))


# --- CSV files: stock in, activations ---------------------------------------------------------

UPLOAD_PERMISSIONS = {Upload.STOCK: "sims.add_sim", Upload.ACTIVATE: lifecycle.TABLE[Command.ACTIVATE].permission}


@requires("sims.view_sim")
def sim_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV file of SIMs (or paste ICCIDs): its preview comes next, and nothing is done before."""
    kinds = [(k, label) for k, label in Upload._meta.get_field("kind").choices
             if request.user.has_perm(UPLOAD_PERMISSIONS[k])]
    if not kinds:
        return forbidden(request, UPLOAD_PERMISSIONS[Upload.STOCK])
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds,
                      initial={"kind": request.GET.get("kind", kinds[0][0])})
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.upload_preview(file=form.cleaned_data["upload"], kind=form.cleaned_data["kind"],
                                             actor=request.user)
        except Refused as exc:
            exc.field = exc.field if exc.field != "file" or not form.cleaned_data.get("pasted") else "pasted"
            add_refusal(form, exc)
        else:
            return redirect("sim_import_preview", upload=upload.pk)
    return render(request, "sims/import.html", {"form": form, "columns": COLUMNS})


@requires("sims.view_sim")
def sim_import_preview(request: HttpRequest, upload: int) -> HttpResponse:
    """What the file would do, row by row; confirmed, it is done (or cancelled, forgotten). An
    upload is its uploader's alone: it may hold subscribers' details."""
    upload = get_object_or_404(Upload, pk=upload, actor=request.user)
    permission = UPLOAD_PERMISSIONS[upload.kind]
    if not request.user.has_perm(permission):
        return forbidden(request, permission)
    if upload.batch_id:  # confirmed: it lives on as its batch
        return redirect("batch_detail", batch=upload.batch_id)
    preview = upload.preview
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            try:
                services.upload_discard(upload_id=upload.pk)
            except Refused as exc:
                messages.error(request, exc.message)
                return redirect("sim_import")
            messages.info(request, f"{upload.name}: nothing was done, and the file is forgotten.")
            return redirect("sim_import")
        try:
            done = services.upload_confirm(upload_id=upload.pk, actor=request.user)
        except Refused as exc:
            messages.error(request, exc.message)
            return redirect("sim_import_preview", upload=upload.pk)
        if isinstance(done, Batch):
            messages.success(request, f"The file's {preview['counts']['ready']:,} ready rows are being queued: "
                             "the worker sends them in turn. Follow them here.")
            return redirect("batch_detail", batch=done.pk)
        expected = preview["counts"].get("new", 0)
        messages.success(request, f"{done:,} SIMs added." + (
            f" {expected - done:,} of those the preview showed were added by someone else meanwhile."
            if done < expected else ""))
        return redirect("sim_list")
    labels = {name: column.label for name, column in COLUMNS[upload.kind].items()}
    return render(request, "sims/import_preview.html", {
        "upload": upload, "preview": preview, "columns": [(c, labels[c]) for c in preview["columns"]],
        "ready": preview["counts"].get("new" if upload.kind == Upload.STOCK else "ready", 0),
        "more_problems": preview["counts"].get("invalid", 0) + preview["counts"].get("here", 0)
        > len(preview["problems"])})


# --- suspends and reactivations for later ------------------------------------------------------

@requires(lifecycle.PROVISION)
def sim_schedule(request: HttpRequest, iccid: str) -> HttpResponse:
    """Schedule a suspend or a reactivate of this SIM for a time to come."""
    sim = _sim(iccid)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_add(sim_ids=[sim.pk], command=form.cleaned_data["command"],
                                  due_at=form.cleaned_data["due_at"], actor=request.user)
        except (ValidationError, Refused) as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"{Command(form.cleaned_data['command']).label} scheduled for "
                                      f"{timezone.localtime(form.cleaned_data['due_at']):%d %b %Y %H:%M}.")
            return redirect("sim_detail", iccid=sim.iccid)
    return render(request, "sims/schedule.html", {"form": form, "sim": sim})


@requires("sims.view_sim")
def schedule_list(request: HttpRequest) -> HttpResponse:
    """What is scheduled, soonest first (or what ran or was cancelled, newest first), each movable
    and cancellable until it runs."""
    done = request.GET.get("show") == "done"
    page = selectors.schedule_page(done=done, cursor=cursor(request))
    return render(request, "sims/schedule_list.html", {"actions": page.rows, "page": page, "done": done,
                                                       "form": RescheduleForm()})


_schedule_button = _command_button(ScheduledAction.objects.select_related("sim"), posted_next("schedule_list"))


@_schedule_button
def schedule_change(request: HttpRequest, action: ScheduledAction) -> HttpResponse:
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        raise Refused(" ".join(form.errors["due_at"]))
    services.schedule_change(action_id=action.pk, due_at=form.cleaned_data["due_at"], actor=request.user)
    messages.success(request, f"{action.get_command_display()} of {action.sim.iccid} moved to "
                              f"{timezone.localtime(form.cleaned_data['due_at']):%d %b %Y %H:%M}.")
    return redirect(posted_next("schedule_list")(request))


@_schedule_button
def schedule_cancel(request: HttpRequest, action: ScheduledAction) -> HttpResponse:
    services.schedule_cancel(action_id=action.pk, actor=request.user)
    messages.success(request, f"{action.get_command_display()} of {action.sim.iccid} cancelled: it will not run.")
    return redirect(posted_next("schedule_list")(request))
