"""Staff pages for SIMs: the list (and its CSV), adding SIMs, a SIM's page, its commands (buttons and
forms) and erasing its subscriber. Thin: parse, call one service, render."""

import json
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from aql.usim import SERVICES
from common.csvout import csv_download
from common.errors import Refused
from common.forms import add_refusal
from common.paging import choice, cursor, every_row, search_text
from common.validators import phone_national
from common.web import requires, say, shows_refusals
from ops.seal import sealed_upto
from sims import lifecycle, search, selectors, services
from sims.forms import (
    SERVICE_LABELS,
    ActivateForm,
    BulkSimsForm,
    DeactivateForm,
    NumberForm,
    ServicesForm,
    SubscriberForm,
    SuspendForm,
)
from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, ScheduledAction, Sim, SimEvent
from sims.outcomes import request_outcome
from sims.permissions import command_requires
from sims.reasons import REPLACE_AFTER
from sims.views._shared import _sim, _when
from sims.views.replacements import replacement_context


@requires("sims.view_sim")
def sim_list(request: HttpRequest) -> HttpResponse:
    q = search_text(request)
    state = choice(request, "state", SimState.values)
    service = choice(request, "service", SERVICES)
    sort = selectors.sim_sort(choice(request, "sort", selectors.SIM_SORTS, default="updated"), service)
    by_person = request.user.has_perm("sims.see_personal_details")
    page = selectors.sim_page(search=q, by_person=by_person, state=state, service=service, sort=sort,
                              cursor=cursor(request), columns=selectors.LIST_COLUMNS)
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
        return redirect("sims:sim_list")
    return render(request, "sims/sim_add.html", {"form": form})


def _detail_context(sim: Sim, user: User) -> dict:
    in_flight = selectors.sim_in_flight(sim=sim)
    allowed = [c for c in lifecycle.allowed_commands(state=sim.state, has_number=sim.number_id is not None,
                                                     in_flight=in_flight.command if in_flight else None)
               if user.has_perm(lifecycle.TABLE[c].permission)]  # the buttons: the SIM's state and the user's role
    return {"sim": sim, "in_flight": in_flight, "allowed": allowed, "Command": Command,
            "timeline": selectors.sim_timeline(sim=sim),
            "sealed_upto": sealed_upto(SimEvent._meta.label),  # lines above it are not sealed yet (ops.seal)
            "service_states": (states := selectors.service_states(sim=sim, in_flight=in_flight)),
            "services_shown": [s for s in states if s[2] not in ("off", selectors.NOT_KNOWN)],  # on, or changing
            "services_not_known": [label for _, label, now in states if now == selectors.NOT_KNOWN],
            "subscriber_not_known": selectors.subscriber_not_known(sim),
            "may_fill_subscriber": user.has_perm(lifecycle.TABLE[Command.ACTIVATE].permission),
            **replacement_context(sim, user, in_flight),
            "order": getattr(sim, "order", None),
            "schedulable": selectors.sim_schedulable(sim=sim),
            "scheduled": list(sim.scheduled.filter(state=ScheduledAction.State.SCHEDULED).order_by("due_at", "pk"))}


def _not_known(sim: Sim) -> list[str]:
    return [name for name, on in sim.services.items() if on is None]


def _services_form(context: dict, form: ServicesForm) -> dict:
    context.update(services_form=form, service_rows=form.rows(context["service_states"]))
    return context


@requires("sims.view_sim")
def sim_detail(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    context = _detail_context(sim, request.user)
    _services_form(context, ServicesForm(initial={"services": [n for n, on in sim.services.items() if on]},
                                         not_known=_not_known(sim)))
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
    @shows_refusals("sims:sim_detail")
    @wraps(service)
    def view(request: HttpRequest, iccid: str) -> HttpResponse:
        sim = _sim(iccid)
        say(request, request_outcome(service(sim_id=sim.pk, actor=request.user)))
        return redirect("sims:sim_detail", iccid=sim.iccid)

    return view


@command_requires(Command.SUSPEND)
def sim_suspend(request: HttpRequest, iccid: str) -> HttpResponse:
    """Suspending stops the subscriber's service: the agent says why and confirms it on a page of its
    own, or presses "Lost" or "Stolen" on the SIM's page (the same suspend, at once). Lost or stolen,
    the replacement (a new SIM with the same number) is offered next."""
    sim = _sim(iccid)
    form = SuspendForm(request.POST if request.method == "POST" else None)  # an empty post too: says what is missing

    def offer_replacement(sent: GatewayRequest) -> None:
        queued = sent.state in (RequestState.TO_SEND, RequestState.SENDING, RequestState.PENDING, RequestState.SUCCESS)
        if queued and sent.reason in REPLACE_AFTER:
            messages.info(request, format_html("Next: a new SIM for the subscriber, keeping the number. "
                                               '<a href="{}">Replace this SIM…</a>',
                                               reverse("sims:sim_replace", kwargs={"iccid": sim.iccid})))

    return _form_page(request, form, "sims/suspend.html", lambda data: services.sim_suspend(
        sim_id=sim.pk, actor=request.user, reason=data["reason"], reason_words=data["reason_words"]), {"sim": sim},
        then=offer_replacement)


sim_reactivate = command_requires(Command.REACTIVATE)(_button(services.sim_reactivate))
sim_query = command_requires(Command.QUERYICCID)(_button(services.sim_query))


@requires("sims.erase_subscriber")
@require_POST
@shows_refusals("sims:sim_detail")
def sim_erase_subscriber(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    services.subscriber_erase(sim_id=sim.pk, actor=request.user)
    messages.success(request, "The subscriber's personal details were erased.")
    return redirect("sims:sim_detail", iccid=sim.iccid)


def _form_page(request: HttpRequest, form, template: str, send: Callable[[dict], GatewayRequest],
               context: dict, then: Callable[[GatewayRequest], None] | None = None) -> HttpResponse:
    """A command with a form: errors (ours, our rules', aql's) go next to their fields, and what was typed stays;
    sent, its outcome is said (and `then` says what comes next)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = send(form.cleaned_data)
        except (ValidationError, Refused) as exc:
            add_refusal(form, exc)
        else:
            if not form.add_gateway_errors(result):
                say(request, request_outcome(result))
                if then:
                    then(result)
                return redirect("sims:sim_detail", iccid=context["sim"].iccid)
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
    form = DeactivateForm(request.POST if request.method == "POST" else None, iccid=sim.iccid)
    return _form_page(request, form, "sims/deactivate.html",
                      lambda data: services.sim_deactivate(sim_id=sim.pk, actor=request.user, reason=data["reason"],
                                                           reason_words=data["reason_words"]), {"sim": sim})


@command_requires(Command.ADDSERVICE)  # and removing: one permission for both (a test holds them equal)
@require_POST
def sim_services(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = ServicesForm(request.POST, not_known=_not_known(sim))

    def send(data: dict) -> GatewayRequest:
        return services.sim_services_set(sim_id=sim.pk, actor=request.user, services=data["services"],
                                         keep=data["keep"])

    # On a refusal the SIM's own page comes back, the errors beside the ticked services.
    return _form_page(request, form, "sims/sim_detail.html", send,
                      _services_form(_detail_context(sim, request.user), form))


@command_requires(Command.ACTIVATE)  # who may activate a SIM for a subscriber may fill one in
def sim_subscriber(request: HttpRequest, iccid: str) -> HttpResponse:
    """The subscriber of a SIM in use whose subscriber is not known (adopted from aql), filled in."""
    sim = _sim(iccid)
    form = SubscriberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscriber_fill(sim_id=sim.pk, actor=request.user, **form.cleaned_data)
        except (ValidationError, Refused) as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "The subscriber's details were recorded.")
            return redirect("sims:sim_detail", iccid=sim.iccid)
    return render(request, "sims/subscriber.html", {"form": form, "sim": sim,
                                                    "why_not": selectors.subscriber_fill_refusal(sim)})


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
                json.dumps(sim.services), "yes" if sim.premium else "no", sim.imei, sim.product_code or "",
                sim.lot or "", _when(sim.created_at), _when(sim.updated_at), *(person if personal else [])]

    return csv_download("sims.csv", header, map(row, every_row(found)))
