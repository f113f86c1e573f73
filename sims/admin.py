"""Django admin for SIMs, numbers, subscribers, the journal and the audit trail.

Admin never edits a state: its actions call the same services as the staff pages.
The journal and the audit trail are read-only.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html

from access.decorators import second_factor_recent
from common import validators
from common.admin import (
    BadgeMedia,
    KeepsHistory,
    LongList,
    NamedInUrl,
    ReadOnlyAdmin,
    admin_link,
    badge_of,
    for_each,
    history_table,
    once,
)
from common.forms import PersonChecks
from common.outcomes import Outcome
from sims import admin_replacements, search, selectors, services  # noqa: F401 (admin_replacements registers its admin)
from sims.admin_rests import RestActions, RestingFilter
from sims.forms import SERVICE_LABELS, BulkNumbersForm
from sims.lifecycle import PROVISION, TERMINATE, Command, SimAction, SimState
from sims.models import Batch, GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent, Subscriber

HISTORY_ROWS = 20


class SimForm(forms.ModelForm):
    iccid = forms.CharField(label="ICCID", max_length=30, help_text="19 or 20 digits; spaces are fine.")

    class Meta:
        model = Sim
        fields = ("iccid",)

    def clean_iccid(self) -> str:
        return validators.clean_iccid(self.cleaned_data["iccid"])


def _sim_name(sim: Sim) -> str:
    return f"SIM {sim.iccid}"


def _as_batch(command: Command) -> Callable[[Any, HttpRequest, QuerySet[Sim]], None]:
    """An admin action that makes the selected SIMs a batch, as the SIM list does: the worker sends
    them in turn, and the batch's page says how each went."""

    def act(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        def start() -> Outcome:
            ids = list(queryset.values_list("pk", flat=True)[:services.BATCH_AT_MOST + 1])  # too many: said, not read
            batch = services.batch_start(sim_ids=ids, command=command, actor=request.user)
            return Outcome.done(format_html('{} queued for {} SIMs as <a href="{}">batch {}</a>: the worker sends '
                                            "them in turn.", command.label, f"{batch.size:,}",
                                            reverse("sims:batch_detail", args=[batch.pk]), batch.pk))

        once(request, start)

    return act


def _on_the_batch_page(command: Command) -> Callable[[Any, HttpRequest, QuerySet[Sim]], HttpResponse]:
    """An admin action for a batch that needs more than the selection (which services; the count
    typed out to terminate): the selected SIMs go on to the staff site's batch page, which asks."""

    def act(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Sim]) -> HttpResponse:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:services.BATCH_AT_MOST + 1])
        return render(request, "admin/sims/sim/to_batch.html", {**modeladmin.admin_site.each_context(request),
                                                                "command": command, "ids": ids})

    return act


def _service_shown(name: str) -> Callable[[Any, Sim], str]:
    """A SIM's service on its admin page, in words."""
    return admin.display(description=Sim._meta.get_field(name).verbose_name)(
        lambda modeladmin, obj: selectors.SERVICE_WORDS[getattr(obj, name)])


@admin.register(Sim)
class SimAdmin(NamedInUrl, LongList, KeepsHistory, admin.ModelAdmin):
    form = SimForm
    Media = BadgeMedia
    list_display = ("iccid", "state_badge", "number_shown", "subscriber", "services_on", "updated_at")
    list_filter = ("state", "int_roaming", "int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms", "premium")
    list_select_related = ("number", "subscriber")
    list_columns = ("iccid", "state", "number__number", "subscriber__name", "subscriber__postcode", *SERVICE_LABELS,
                    "premium", "updated_at")
    search_fields = ("iccid",)  # replaced below by an indexed search; listed so the box shows
    search_help_text = ("ICCID or its last digits, geographic number, subscriber name, postcode or its first half"
                        " (G41), or a name and a postcode together")
    sortable_by = ("iccid", "updated_at")  # each walks an index; a sort by state or number would sort every SIM
    # Each service in words: on, off or not known (a boolean's icon would say "None" to a screen reader).
    readonly_fields = ("state", "imei", "number_shown", "subscriber", *(f"{name}_shown" for name in SERVICE_LABELS),
                       "premium", "from_order", "checked_at", "created_at", "updated_at")
    actions = ("suspend", "reactivate", "add_services", "remove_services", "query_gateway", "terminate",
               "erase_subscriber")

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Sim | None:
        """A SIM by its id, or by the ICCID staff type into the URL (/admin/sims/sim/<ICCID>/change/)."""
        if from_field is None:
            try:
                iccid = validators.clean_iccid(object_id)
            except ValidationError:
                pass  # not an ICCID: an id
            else:  # 19 or 20 digits: never one of our ids, which count up from 1
                return self.get_queryset(request).filter(iccid=iccid).first()
        return super().get_object(request, object_id, from_field)

    def get_fields(self, request: HttpRequest, obj: Sim | None = None) -> list[str]:
        fields = super().get_fields(request, obj)
        return [*fields, "recent_requests", "recent_events"] if obj else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Sim | None = None) -> tuple[str, ...]:
        readonly = (*self.readonly_fields, "iccid", "recent_requests", "recent_events")
        return readonly if obj else self.readonly_fields

    @admin.display(description=f"latest {HISTORY_ROWS} requests")
    def recent_requests(self, obj: Sim) -> str:
        rows = obj.requests.order_by("-created_at")[:HISTORY_ROWS]
        return history_table(("sent", "command", "state", "aql id", "codes", "by"), [
            (f"{r.created_at:%Y-%m-%d %H:%M}", r.get_command_display(), r.get_state_display(), r.aql_id or "",
             "; ".join(r.code_meanings), r.actor_name) for r in rows])

    @admin.display(description=f"latest {HISTORY_ROWS} events")
    def recent_events(self, obj: Sim) -> str:
        rows = obj.events.order_by("-at", "-id")[:HISTORY_ROWS]
        return history_table(("when", "who", "what"), [
            (f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor_name, e.message) for e in rows])

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(search.sim_search_q(search_term)), False

    @admin.display(description="state")
    def state_badge(self, obj: Sim) -> str:
        return badge_of(SimState(obj.state))

    @admin.display(description="number")
    def number_shown(self, obj: Sim) -> str:
        if obj.number is None:
            return "-"
        number = validators.phone_national(obj.number.number)
        return admin_link("admin:sims_geographicnumber_change", obj.number_id, number)

    @admin.display(description="despatched by order")
    def from_order(self, obj: Sim) -> str:
        order = getattr(obj, "order", None)  # sims does not import orders: the reverse relation
        if order is None:
            return "-"
        return admin_link("admin:orders_despatchorder_change", order.pk, order.order_ref)

    @admin.display(description="services")
    def services_on(self, obj: Sim) -> str:
        return selectors.services_said(obj.services)

    int_roaming_shown, int_calling_shown = _service_shown("int_roaming"), _service_shown("int_calling")
    mo_voice_shown, mt_voice_shown = _service_shown("mo_voice"), _service_shown("mt_voice")
    mo_sms_shown, mt_sms_shown = _service_shown("mo_sms"), _service_shown("mt_sms")

    suspend = admin.action(description="Suspend the selected SIMs (a batch)", permissions=["provision"])(
        _as_batch(Command.SUSPEND))
    reactivate = admin.action(description="Reactivate the selected SIMs (a batch)", permissions=["provision"])(
        _as_batch(Command.REACTIVATE))
    query_gateway = admin.action(description="Ask the gateway for the selected SIMs' live state (a batch)",
                                 permissions=["provision"])(_as_batch(Command.QUERYICCID))
    add_services = admin.action(description="Switch services on for the selected SIMs (a batch)…",
                                permissions=["provision"])(_on_the_batch_page(Command.ADDSERVICE))
    remove_services = admin.action(description="Switch services off for the selected SIMs (a batch)…",
                                   permissions=["provision"])(_on_the_batch_page(Command.REMOVESERVICE))
    terminate = admin.action(description="Terminate the selected SIMs (a batch)…",
                             permissions=["terminate"])(_on_the_batch_page(Command.DEACTIVATE))

    def has_provision_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PROVISION)

    def has_terminate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(TERMINATE)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sims.erase_subscriber")

    def save_model(self, request: HttpRequest, obj: Sim, form: forms.ModelForm, change: bool) -> None:
        if change:  # nothing on a SIM's form is editable but its ICCID, which is read-only once added
            return
        services.sim_add(iccids=[obj.iccid], actor=request.user)  # recorded in the audit trail
        obj.pk = Sim.objects.get(iccid=obj.iccid).pk

    @admin.action(description="Erase the subscriber's personal details (terminated SIMs)", permissions=["erase"])
    def erase_subscriber(self, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        def erase(sim: Sim) -> Outcome:
            services.subscriber_erase(sim_id=sim.pk, actor=request.user)
            return Outcome.done("The subscriber's personal details were erased.")  # as the SIM's page says

        for_each(request, queryset, erase, name=_sim_name)


def _in_use(number: GeographicNumber) -> bool:
    return GeographicNumber.objects.in_use().filter(pk=number.pk).exists()


@admin.register(GeographicNumber)
class GeographicNumberAdmin(RestActions, LongList, KeepsHistory, admin.ModelAdmin):
    list_display = ("number_shown", "sim", "held_by", "rests_until", "added_at")
    list_select_related = ("sim", "held_by")
    search_fields = ("number",)
    readonly_fields = ("held_by", "rests_since", "rests_until", "added_at")
    list_filter = ("on_sim", RestingFilter)  # kept on the number: no search of every number for one no SIM points at
    sortable_by = ("number_shown",)  # by number, its own index; by date added would sort the pool
    change_list_template = "admin/sims/geographicnumber/change_list.html"

    @admin.display(description="number", ordering="number")
    def number_shown(self, obj: GeographicNumber) -> str:
        return validators.phone_national(obj.number)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        """A number or its start, typed any usual way ("0113 49", "+44 113 49…"), as the Numbers page finds it."""
        if not search_term.strip():
            return queryset, False
        return queryset.filter(selectors.number_starts_q(search_term)), False

    def get_readonly_fields(self, request: HttpRequest, obj: GeographicNumber | None = None) -> tuple[str, ...]:
        # A number on a SIM, or being given to one, changes only through the SIM's commands.
        return (*self.readonly_fields, "number") if obj and _in_use(obj) else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: GeographicNumber | None = None) -> bool:
        # Only a number that was never on a SIM may go (one pasted by mistake, say), one at a time
        # from its own page: a number that has been on a SIM is in that SIM's history and aql's,
        # and one on a SIM or held for a command is in use. aql still allocates it to the account
        # either way: deleting it here only stops us giving it out.
        allowed = admin.ModelAdmin.has_delete_permission(self, request, obj)  # the role's permission, past KeepsHistory
        return allowed and (obj is None or not (_in_use(obj) or obj.was_on_sim))

    def get_urls(self) -> list:
        bulk = path("bulk-add/", self.admin_site.admin_view(self.bulk_add), name="sims_geographicnumber_bulk")
        return [bulk, *super().get_urls()]

    def bulk_add(self, request: HttpRequest) -> HttpResponse:
        """Paste the numbers aql allocated to the account."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BulkNumbersForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and (added := form.add(actor=request.user)) is not None:
            messages.success(request, f"{added} numbers added to the pool.")
            return redirect("admin:sims_geographicnumber_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Add numbers in bulk",
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/sims/geographicnumber/bulk_add.html", context)


class SubscriberForm(PersonChecks, forms.ModelForm):
    """A subscriber's details, checked as the activation form checks them."""

    # typed any usual way ("+44 (0)7700 900 355"): longer than the aql form it is kept in
    contact_number = forms.CharField(label="Contact number", max_length=30)

    class Meta:
        model = Subscriber
        fields = ("name", "address", "postcode", "contact_number")

    def clean_contact_number(self) -> str:
        return validators.clean_contact_number(self.cleaned_data["contact_number"])


@admin.register(Subscriber)
class SubscriberAdmin(LongList, KeepsHistory, admin.ModelAdmin):
    """Never deleted by hand: erasing a terminated SIM's subscriber is the SIM's "erase" action,
    which records it."""

    form = SubscriberForm
    list_display = ("name", "postcode", "contact_shown", "sim")
    list_select_related = ("sim",)
    search_fields = ("name",)  # the box; the search itself is exact_search and name_search
    search_help_text = "At least three letters of a name, or a whole postcode"
    exact_search = {"postcode": validators.clean_postcode}
    name_search = ("name",)
    sortable_by = ("name", "postcode")

    @admin.display(description="contact number")
    def contact_shown(self, obj: Subscriber) -> str:
        return validators.phone_national(obj.contact_number)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a subscriber comes with an activation

    def save_model(self, request: HttpRequest, obj: Subscriber, form: forms.ModelForm, change: bool) -> None:
        services.subscriber_update(subscriber_id=obj.pk, actor=request.user, **form.cleaned_data)


def _sim_ids(term: str) -> list[int]:
    """The SIM an ICCID names, looked up first: a condition on the row's own sim_id, which an OR with
    another indexed column can use (a condition across the join would read the journal in order,
    and PostgreSQL tests a subquery in an OR against every row)."""
    return list(Sim.objects.filter(iccid=validators.clean_iccid(term)).values_list("pk", flat=True))


def _aql_id(term: str) -> int:
    """aql's request id as typed: a whole number a BIGINT holds (an ICCID of 20 digits is not one)."""
    number = int(term)
    if not 0 < number < 2 ** 63:
        raise ValueError(term)
    return number


@admin.register(GatewayRequest)
class GatewayRequestAdmin(LongList, ReadOnlyAdmin):
    list_display = ("created_at", "sim", "command", "state_badge", "aql_id", "codes_in_words", "actor_name",
                    "poll_count", "next_poll_at")
    list_filter = ("state", "command")
    list_select_related = ("sim",)
    list_columns = ("created_at", "sim__iccid", "command", "state", "aql_id", "codes", "actor_name", "poll_count",
                    "next_poll_at")
    search_fields = ("sim__iccid",)  # the box; the search itself is exact_search
    search_help_text = "A whole ICCID, or aql's request id"
    exact_search = {"sim__in": _sim_ids, "aql_id": _aql_id}
    sortable_by = ("created_at",)
    @method_decorator(second_factor_recent)  # settling by hand: the second factor again if not recent
    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, extra_context)

    # Its page shows the codes in words, never the bare list of numbers kept in `codes`.
    fields = ("sim", "command", "params", "actor_name", "batch", "state", "state_before", "why_not_sent", "aql_id",
              "codes_in_words", "reply", "created_at", "settled_at", "next_poll_at", "poll_count", "needs_attention")
    readonly_fields = ("codes_in_words", "created_at")

    actions = ("settle_by_hand",)

    def has_settle_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sims.settle_request")

    @admin.action(description="Settle an unknown outcome by hand (shows aql's record first)", permissions=["settle"])
    def settle_by_hand(self, request: HttpRequest, queryset: QuerySet[GatewayRequest]) -> HttpResponse | None:
        """One request at a time, on the staff site's page: aql's record first, then a confirmed decision."""
        chosen = list(queryset[:2])
        if len(chosen) != 1 or chosen[0].state != RequestState.UNKNOWN:
            messages.warning(request, "Choose one request whose outcome is unknown.")
            return None
        return redirect("sims:request_resolve", pk=chosen[0].pk)

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: GatewayRequest) -> str:
        return badge_of(RequestState(obj.state))

    @admin.display(description="codes")
    def codes_in_words(self, obj: GatewayRequest) -> str:
        return "; ".join(obj.code_meanings)


class SimActionFilter(admin.SimpleListFilter):
    """The actions a SIM's trail records (sims.lifecycle.SimAction), as words: a fixed list, no
    DISTINCT over the trail, each walked through its index (action, newest first)."""

    title, parameter_name = "action", "action__exact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(action.value, action.label) for action in SimAction]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(SimEvent)
class SimEventAdmin(LongList, ReadOnlyAdmin):
    list_display = ("at", "sim", "action", "actor_name", "interface", "message")
    list_filter = (SimActionFilter,)
    list_select_related = ("sim",)
    search_fields = ("sim__iccid",)  # the box; the search itself is exact_search
    search_help_text = "A whole ICCID"
    exact_search = {"sim__in": _sim_ids}
    sortable_by = ("at",)


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    """Batches are history: each SIM's request in the journal says how it went."""

    list_display = ("created_at", "command", "size", "actor_name")
    list_filter = ("command",)
    sortable_by = ("created_at",)
