"""Django admin for SIMs, numbers, subscribers, the journal and the audit trail.

Admin never edits a state: its actions call the same services as the staff pages.
The journal and the audit trail are read-only.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

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


class CachedCountPaginator(Paginator):
    """Admin lists count their rows for the pager; over a million SIMs that COUNT(*) is the slow
    part of the page, so each distinct list's count is kept for a minute."""

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        key = "admin-count:" + hashlib.sha1(str(query).encode(), usedforsecurity=False).hexdigest()
        return cache.get_or_set(key, lambda: Paginator.count.func(self), 60)


HISTORY_ROWS = 20


def _history_table(headings: tuple[str, ...], rows: list[tuple]) -> str:
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th>{}</th>", ((h,) for h in headings)),
        format_html_join("", "<tr>" + "<td>{}</td>" * len(headings) + "</tr>", rows) or "-",
    )


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
            meaning = "; ".join(result.code_meanings)
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
    actions = ("suspend", "reactivate", "query_gateway", "erase_subscriber")
    paginator = CachedCountPaginator

    def get_fields(self, request: HttpRequest, obj: Sim | None = None) -> list[str]:
        fields = super().get_fields(request, obj)
        return [*fields, "recent_requests", "recent_events"] if obj else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Sim | None = None) -> tuple[str, ...]:
        readonly = (*self.readonly_fields, "iccid", "recent_requests", "recent_events")
        return readonly if obj else self.readonly_fields

    @admin.display(description=f"latest {HISTORY_ROWS} requests")
    def recent_requests(self, obj: Sim) -> str:
        rows = obj.requests.select_related("actor").order_by("-created_at")[:HISTORY_ROWS]
        return _history_table(("sent", "command", "state", "aql id", "codes", "by"), [
            (f"{r.created_at:%Y-%m-%d %H:%M}", r.get_command_display(), r.get_state_display(), r.aql_id or "",
             "; ".join(r.code_meanings), r.actor or "system") for r in rows])

    @admin.display(description=f"latest {HISTORY_ROWS} events")
    def recent_events(self, obj: Sim) -> str:
        rows = obj.events.select_related("actor").order_by("-at", "-id")[:HISTORY_ROWS]
        return _history_table(("when", "who", "what"), [
            (f"{e.at:%Y-%m-%d %H:%M:%S}", e.actor or "system", e.message) for e in rows])

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

    @admin.action(description="Erase the subscriber's personal details (terminated SIMs)")
    def erase_subscriber(self, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        for sim in queryset:
            try:
                services.subscriber_erase(sim_id=sim.pk, actor=request.user)
                messages.success(request, f"{sim.iccid}: subscriber's personal details erased.")
            except CommandNotAllowed as exc:
                messages.warning(request, f"{sim.iccid}: {exc.message}")

    @admin.action(description="Ask the gateway for the selected SIMs' live state")
    def query_gateway(self, request: HttpRequest, queryset: QuerySet[Sim]) -> None:
        _per_sim(request, queryset, "checked with aql", services.sim_query)


def _in_use(number: GeographicNumber) -> bool:
    return number.held_by_id is not None or Sim.objects.filter(number=number).exists()


@admin.register(GeographicNumber)
class GeographicNumberAdmin(admin.ModelAdmin):
    list_display = ("number", "sim", "held_by", "added_at")
    list_select_related = ("sim", "held_by")
    search_fields = ("number",)
    readonly_fields = ("held_by", "added_at")
    list_filter = (("sim", admin.EmptyFieldListFilter),)
    show_full_result_count = False
    change_list_template = "admin/sims/geographicnumber/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: GeographicNumber | None = None) -> tuple[str, ...]:
        # A number on a SIM, or being given to one, changes only through the SIM's commands.
        return (*self.readonly_fields, "number") if obj and _in_use(obj) else self.readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: GeographicNumber | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and _in_use(obj))

    def get_urls(self) -> list:
        bulk = path("bulk-add/", self.admin_site.admin_view(self.bulk_add), name="sims_geographicnumber_bulk")
        return [bulk, *super().get_urls()]

    def bulk_add(self, request: HttpRequest) -> HttpResponse:
        """Paste the numbers aql allocated to the account."""
        form = BulkNumbersForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and (added := form.add_to_pool()) is not None:
            messages.success(request, f"{added} numbers added to the pool.")
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
    paginator = CachedCountPaginator

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: GatewayRequest) -> str:
        return badge(obj.get_state_display(), obj.colour)

    @admin.display(description="codes")
    def codes_in_words(self, obj: GatewayRequest) -> str:
        return "; ".join(obj.code_meanings)


class EventActionFilter(admin.SimpleListFilter):
    """Fixed choices: Django's default would ask the audit trail for every distinct action."""

    title, parameter_name = "action", "action"
    ACTIONS = ("sending", "sent", "succeeded", "failed", "refused", "unknown", "not_sent", "queried", "drift",
               "attention")

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(a, a.replace("_", " ")) for a in self.ACTIONS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(SimEvent)
class SimEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "sim", "action", "actor", "message")
    list_filter = (EventActionFilter,)
    list_select_related = ("sim", "actor")
    search_fields = ("=sim__iccid",)
    show_full_result_count = False
    paginator = CachedCountPaginator
