"""Django admin for SIMs, numbers, subscribers, the journal and the audit trail.

Admin never edits a state: its actions call the same services as the staff pages.
The journal and the audit trail are read-only.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from aql import codes
from sims import selectors, services, validators
from sims.forms import BulkNumbersForm
from sims.lifecycle import CommandNotAllowed
from sims.models import GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent, Subscriber


def badge(label: str, colour: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', colour, label)


class BadgeMedia:
    css = {"all": ["css/badges.css"]}


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are history: viewable, never added, changed or deleted by hand."""

    Media = BadgeMedia

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RequestInline(admin.TabularInline):
    model = GatewayRequest
    fields = readonly_fields = ("created_at", "command", "state", "aql_id", "codes_in_words", "actor")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-created_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="codes")
    def codes_in_words(self, obj: GatewayRequest) -> str:
        return "; ".join(str(codes.usim(c)) for c in obj.codes)


class EventInline(admin.TabularInline):
    model = SimEvent
    fields = readonly_fields = ("at", "actor", "action", "message")
    extra = 0
    can_delete = False
    ordering = ("-at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SimForm(forms.ModelForm):
    iccid = forms.CharField(label="ICCID", max_length=30, help_text="19 or 20 digits; spaces are fine.")

    class Meta:
        model = Sim
        fields = ("iccid",)

    def clean_iccid(self) -> str:
        return validators.clean_iccid(self.cleaned_data["iccid"])


def _per_sim(request: HttpRequest, queryset: QuerySet[Sim], verb: str,
             service: Callable[..., GatewayRequest]) -> None:
    """Run a service for each selected SIM and say how each one went."""
    for sim in queryset:
        try:
            result = service(sim_id=sim.pk, actor=request.user)
        except CommandNotAllowed as exc:
            messages.warning(request, f"{sim.iccid}: not {verb}: {exc.message}")
            continue
        if result.state == RequestState.REJECTED:
            meaning = "; ".join(str(codes.usim(c)) for c in result.codes)
            messages.error(request, f"{sim.iccid}: aql refused: {meaning}")
        elif result.state == RequestState.UNKNOWN:
            messages.warning(request, f"{sim.iccid}: no clear answer from aql; it will be checked, not resent.")
        else:
            messages.success(request, f"{sim.iccid}: {verb} ({result.get_state_display().lower()}).")


@admin.register(Sim)
class SimAdmin(admin.ModelAdmin):
    form = SimForm
    Media = BadgeMedia
    list_display = ("iccid", "state_badge", "number", "subscriber", "services_on", "updated_at")
    list_filter = ("state", "int_roaming", "int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms", "premium")
    list_select_related = ("number", "subscriber")
    search_fields = ("iccid",)  # replaced below by an indexed search; listed so the box shows
    search_help_text = "ICCID or its last digits, geographic number, subscriber name or postcode"
    show_full_result_count = False  # no COUNT(*) over a million SIMs on every page
    readonly_fields = ("state", "imei", "number", "subscriber", "int_roaming", "int_calling", "mo_voice",
                       "mt_voice", "mo_sms", "mt_sms", "premium", "from_order", "checked_at", "created_at",
                       "updated_at")
    inlines = (RequestInline, EventInline)
    actions = ("suspend", "reactivate", "query_gateway")

    def get_inlines(self, request: HttpRequest, obj: Sim | None) -> tuple:
        return self.inlines if obj else ()  # a new SIM has no history yet

    def get_readonly_fields(self, request: HttpRequest, obj: Sim | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "iccid") if obj else self.readonly_fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(selectors.sim_search_q(search_term)), False

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: Sim) -> str:
        return badge(obj.get_state_display(), obj.colour)

    @admin.display(description="despatched by order")
    def from_order(self, obj: Sim) -> str:
        order = getattr(obj, "order", None)  # sims does not import orders: the reverse relation
        if order is None:
            return "-"
        url = reverse("admin:orders_despatchorder_change", args=[order.pk])
        return format_html('<a href="{}">{}</a>', url, order.order_ref)

    @admin.display(description="services")
    def services_on(self, obj: Sim) -> str:
        return ", ".join(obj.services) or "none"

    @admin.action(description="Suspend the selected SIMs")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        _per_sim(request, queryset, "suspend sent", services.sim_suspend)

    @admin.action(description="Reactivate the selected SIMs")
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        _per_sim(request, queryset, "reactivate sent", services.sim_reactivate)

    @admin.action(description="Ask the gateway for the selected SIMs' live state")
    def query_gateway(self, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        _per_sim(request, queryset, "checked with aql", services.sim_query)


@admin.register(GeographicNumber)
class GeographicNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "sim", "held_by", "added_at")
    list_select_related = ("sim", "held_by")
    search_fields = ("number",)
    readonly_fields = ("held_by", "added_at")
    list_filter = (("sim", admin.EmptyFieldListFilter),)
    show_full_result_count = False
    change_list_template = "admin/sims/geographicnumber/change_list.html"

    def get_urls(self) -> list:
        bulk = path("bulk-add/", self.admin_site.admin_view(self.bulk_add), name="sims_geographicnumber_bulk")
        return [bulk, *super().get_urls()]

    def bulk_add(self, request: HttpRequest) -> HttpResponse:
        """Paste the numbers aql allocated to the account."""
        form = BulkNumbersForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                added = services.number_add(numbers=form.cleaned_data["numbers"])
            except ValidationError as exc:
                form.add_error("numbers", exc.message_dict["numbers"])
            else:
                messages.success(request, f"{len(added)} numbers added to the pool.")
                return redirect("admin:sims_geographicnumber_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Add numbers in bulk",
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/sims/geographicnumber/bulk_add.html", context)


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("name", "postcode", "contact_number", "sim")
    list_select_related = ("sim",)
    search_fields = ("name", "postcode")
    show_full_result_count = False


@admin.register(GatewayRequest)
class GatewayRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sim", "command", "state_badge", "aql_id", "codes_in_words", "actor",
                    "poll_count", "next_poll_at")
    list_filter = ("state", "command")
    list_select_related = ("sim", "actor")
    search_fields = ("=sim__iccid", "=aql_id")  # exact: no LIKE scans over the journal
    show_full_result_count = False
    date_hierarchy = "created_at"

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: GatewayRequest) -> str:
        return badge(obj.get_state_display(), obj.colour)

    @admin.display(description="codes")
    def codes_in_words(self, obj: GatewayRequest) -> str:
        return "; ".join(str(codes.usim(c)) for c in obj.codes)


@admin.register(SimEvent)
class SimEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "sim", "action", "actor", "message")
    list_filter = ("action",)
    list_select_related = ("sim", "actor")
    search_fields = ("=sim__iccid",)
    show_full_result_count = False
    date_hierarchy = "at"
