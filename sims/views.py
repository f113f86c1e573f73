"""Staff pages for SIMs, the request journal and the number pool. Thin: parse, call one service, render."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from aql.usim import SERVICES
from sims import lifecycle, selectors, services
from sims.forms import SERVICE_LABELS, ActivateForm, BulkNumbersForm, DeactivateForm, NumberForm, ServicesForm
from sims.lifecycle import Command, CommandNotAllowed, SimState
from sims.models import GatewayRequest, RequestState, Sim


def search_text(request: HttpRequest, name: str = "q") -> str:
    """A typed search, tidied: no NUL characters (PostgreSQL refuses them), at most 100 characters."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:100]


MAX_PAGE = 10_000  # deeper than anyone pages by hand; keeps the offset a number the database takes


def page_number(request: HttpRequest) -> int:
    """The ?page= asked for, as a sane number whatever was typed."""
    try:
        return min(max(int(request.GET.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        return 1


def _sim(iccid: str) -> Sim:
    try:
        return selectors.sim_detail(iccid=iccid)
    except Sim.DoesNotExist:
        raise Http404("No SIM with that ICCID.") from None


def _say(request: HttpRequest, result: GatewayRequest) -> None:
    """Tell the agent how a command went, codes in words."""
    label = result.get_command_display()
    if result.state == RequestState.REJECTED:
        messages.error(request, f"{label} refused by aql: " + "; ".join(result.code_meanings))
    elif result.state == RequestState.UNKNOWN:
        messages.warning(request, f"{label}: aql gave no clear answer. It will be checked with aql, not resent.")
    elif result.state == RequestState.PENDING:
        messages.success(request, f"{label} sent: aql is working on it. This page updates by itself.")
    else:
        messages.success(request, f"{label}: done.")


@login_required
def sim_list(request: HttpRequest) -> HttpResponse:
    q = search_text(request)
    state = request.GET.get("state", "") if request.GET.get("state") in SimState.values else ""
    service = request.GET.get("service", "") if request.GET.get("service") in SERVICES else ""
    sort = request.GET.get("sort", "updated") if request.GET.get("sort") in selectors.SIM_SORTS else "updated"
    page = page_number(request)
    rows, has_next = selectors.sim_page(search=q, state=state, service=service, sort=sort, page=page)
    return render(request, "sims/sim_list.html", {
        "sims": rows, "has_next": has_next, "page": page, "q": q, "state": state, "service": service, "sort": sort,
        "states": SimState.choices, "services": SERVICE_LABELS.items(),
    })


def _detail_context(sim: Sim) -> dict:
    in_flight = selectors.sim_in_flight(sim=sim)
    allowed = lifecycle.allowed_commands(state=sim.state, has_number=sim.number_id is not None,
                                         in_flight=in_flight.command if in_flight else None)
    return {"sim": sim, "in_flight": in_flight, "allowed": allowed, "Command": Command,
            "timeline": selectors.sim_timeline(sim=sim),
            "service_names": [SERVICE_LABELS[name] for name in sim.services],
            "order": getattr(sim, "order", None)}


@login_required
def sim_detail(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    context = _detail_context(sim)
    context["services_form"] = ServicesForm(initial={"action": "add"})
    template = "sims/_sim_live.html" if request.headers.get("HX-Request") else "sims/sim_detail.html"
    return render(request, template, context)


def _command(request: HttpRequest, iccid: str, run: Callable[[Sim], GatewayRequest]) -> HttpResponse:
    """A command with no input of its own (a button): run it, say how it went, back to the SIM."""
    sim = _sim(iccid)
    try:
        _say(request, run(sim))
    except CommandNotAllowed as exc:
        messages.error(request, exc.message)
    return redirect("sim_detail", iccid=sim.iccid)


@login_required
@require_POST
def sim_suspend(request: HttpRequest, iccid: str) -> HttpResponse:
    return _command(request, iccid, lambda sim: services.sim_suspend(sim_id=sim.pk, actor=request.user))


@login_required
@require_POST
def sim_reactivate(request: HttpRequest, iccid: str) -> HttpResponse:
    return _command(request, iccid, lambda sim: services.sim_reactivate(sim_id=sim.pk, actor=request.user))


@login_required
@require_POST
def sim_erase_subscriber(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    try:
        services.subscriber_erase(sim_id=sim.pk, actor=request.user)
        messages.success(request, "The subscriber's personal details were erased.")
    except CommandNotAllowed as exc:
        messages.error(request, exc.message)
    return redirect("sim_detail", iccid=sim.iccid)


@login_required
@require_POST
def sim_query(request: HttpRequest, iccid: str) -> HttpResponse:
    return _command(request, iccid, lambda sim: services.sim_query(sim_id=sim.pk, actor=request.user))


def _form_page(request: HttpRequest, form, template: str, send: Callable[[dict], GatewayRequest],
               context: dict) -> HttpResponse:
    """A command with a form: errors (ours, our rules', aql's) go next to their fields, and what was typed stays."""
    if request.method == "POST" and form.is_valid():
        try:
            result = send(form.cleaned_data)
        except (ValidationError, CommandNotAllowed) as exc:
            form.add_outcome_errors(exc)
        else:
            if not form.add_gateway_errors(result):
                _say(request, result)
                return redirect("sim_detail", iccid=context["sim"].iccid)
    return render(request, template, {"form": form, **context})


@login_required
def sim_activate(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = ActivateForm(request.POST or None)
    return _form_page(request, form, "sims/activate.html", lambda data: services.sim_activate(
        sim_id=sim.pk, actor=request.user, **data), {"sim": sim})


@login_required
def sim_number(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = NumberForm(request.POST or None)
    service = services.sim_number_change if sim.number_id else services.sim_number_assign
    return _form_page(request, form, "sims/number.html",
                      lambda data: service(sim_id=sim.pk, actor=request.user, number=data["number"]), {"sim": sim})


@login_required
def sim_deactivate(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = DeactivateForm(request.POST or None, iccid=sim.iccid)
    return _form_page(request, form, "sims/deactivate.html",
                      lambda data: services.sim_deactivate(sim_id=sim.pk, actor=request.user), {"sim": sim})


@login_required
@require_POST
def sim_services(request: HttpRequest, iccid: str) -> HttpResponse:
    sim = _sim(iccid)
    form = ServicesForm(request.POST)

    def send(data: dict) -> GatewayRequest:
        service = services.sim_services_add if data["action"] == "add" else services.sim_services_remove
        return service(sim_id=sim.pk, actor=request.user, services=data["services"])

    # On a refusal the SIM's own page comes back, the errors beside the ticked services.
    return _form_page(request, form, "sims/sim_detail.html", send, {**_detail_context(sim), "services_form": form})


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "") if request.GET.get("show") in selectors.REQUEST_VIEWS else ""
    page = page_number(request)
    rows, has_next = selectors.request_page(show=show, page=page)
    template = "sims/_request_rows.html" if request.headers.get("HX-Request") else "sims/request_list.html"
    return render(request, template, {"requests": rows, "has_next": has_next, "page": page, "show": show,
                                      "live": any(r.in_flight for r in rows)})


@login_required
@require_POST
def request_check(request: HttpRequest, pk: int) -> HttpResponse:
    """Check one request with aql now, without waiting for the worker's next pass."""
    journal = get_object_or_404(GatewayRequest, pk=pk)
    if not journal.in_flight:
        messages.info(request, "That request has already finished.")
    else:
        result = services.request_poll(request_id=journal.pk)
        messages.info(request, f"{result.get_command_display()}: {result.get_state_display().lower()}.")
    return redirect(_back(request))


@login_required
@require_POST
def request_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Settle an unknown outcome by hand, once staff have checked with aql."""
    journal = get_object_or_404(GatewayRequest, pk=pk)
    try:
        result = services.request_resolve(request_id=journal.pk, happened=request.POST.get("happened") == "yes",
                                          actor=request.user)
        messages.success(request, f"{result.get_command_display()}: {result.get_state_display().lower()}.")
    except CommandNotAllowed as exc:
        messages.error(request, exc.message)
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("request_list")  # only ever back to a page of ours
    return back


@login_required
def number_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "") if request.GET.get("show") in ("available", "assigned") else ""
    q = search_text(request)
    form = BulkNumbersForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (added := form.add_to_pool()) is not None:
        messages.success(request, f"{added} numbers added to the pool.")
        return redirect("number_list")
    page = page_number(request)
    rows, has_next = selectors.number_page(show=show, search=q, page=page)
    return render(request, "sims/number_list.html", {"numbers": rows, "has_next": has_next, "page": page,
                                                     "show": show, "q": q, "form": form})
