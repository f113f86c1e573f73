"""Django admin for despatch orders and stock. Actions call the same services as the pages."""


from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from common.admin import BadgeMedia, ReadOnlyAdmin, badge, for_each, once
from common.forms import add_refusal
from common.outcomes import Outcome
from orders import services
from orders.lifecycle import SUBMITTABLE, OrderState, OrderStep
from orders.models import DespatchOrder, Product, StockLevel
from orders.outcomes import order_outcome

RECIPIENT = ("name", "company", "address", "postcode", "contact_no")


class DespatchOrderForm(forms.ModelForm):
    """A draft's recipient, checked as the staff page checks it."""

    class Meta:
        model = DespatchOrder
        fields = RECIPIENT

    def clean(self) -> dict:
        data = super().clean()
        try:
            data.update(services.cleaned_recipient(**{f: data.get(f, "") for f in RECIPIENT}))
        except ValidationError as exc:
            add_refusal(self, exc)
        return data


@admin.register(DespatchOrder)
class DespatchOrderAdmin(admin.ModelAdmin):
    Media = BadgeMedia
    form = DespatchOrderForm
    list_display = ("order_ref", "state_badge", "name", "company", "postcode", "iccid", "sim", "created_at")
    list_filter = ("state",)
    list_select_related = ("sim",)
    search_fields = ("=order_ref", "name", "postcode", "=iccid")
    show_full_result_count = False
    readonly_fields = ("order_ref", "state", "reason", "iccid", "sim_link", "created_by", "created_at",
                       "submitted_at", "settled_at")
    actions = ("refresh", "submit")

    def save_model(self, request: HttpRequest, obj: DespatchOrder, form: forms.ModelForm, change: bool) -> None:
        services.order_correct(order_id=obj.pk, actor=request.user,
                               **{field: form.cleaned_data[field] for field in RECIPIENT})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are placed from the staff pages or `manage.py orders despatch`

    def has_delete_permission(self, request: HttpRequest, obj: DespatchOrder | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.state == OrderState.DRAFT)

    def get_readonly_fields(self, request: HttpRequest, obj: DespatchOrder | None = None) -> tuple[str, ...]:
        if obj is not None and obj.state not in SUBMITTABLE:  # aql has it: what was sent stays as sent
            return (*self.readonly_fields, *RECIPIENT)
        return self.readonly_fields

    @admin.display(description="SIM")
    def sim_link(self, obj: DespatchOrder) -> str:
        if obj.sim_id is None:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:sims_sim_change", args=[obj.sim_id]), obj.iccid)

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: DespatchOrder) -> str:
        return badge(obj.get_state_display(), obj.colour)

    def has_place_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.place_order")

    @admin.action(description="Refresh from aql", permissions=["place"])
    def refresh(self, request: HttpRequest, queryset: QuerySet[DespatchOrder]) -> None:
        def run(order: DespatchOrder) -> Outcome:
            if not OrderStep.REFRESH.allows(order.state):
                return Outcome.info(f"Order {order.order_ref}: {order.get_state_display().lower()}, nothing to ask.")
            return order_outcome(services.order_refresh(order_id=order.pk, actor=request.user))

        for_each(request, queryset, run, named=False)

    @admin.action(description="Send to aql for despatch", permissions=["place"])
    def submit(self, request: HttpRequest, queryset: QuerySet[DespatchOrder]) -> None:
        for_each(request, queryset, lambda order: order_outcome(services.order_submit(order_id=order.pk,
                                                                                      actor=request.user)),
                 named=False)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "low_stock_threshold")
    search_fields = ("code",)


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("checked_at", "product", "quantity", "low")
    list_filter = ("product", "low")
    list_select_related = ("product",)
    date_hierarchy = "checked_at"
    show_full_result_count = False
    actions = ("refresh_stock",)

    def has_place_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.place_order")

    @admin.action(description="Take a stock snapshot from aql now", permissions=["place"])
    def refresh_stock(self, request: HttpRequest, queryset: QuerySet[StockLevel]) -> None:
        def run() -> Outcome:
            levels = services.stock_refresh()
            return Outcome.done("Stock now: " + ", ".join(f"{lv.product.code} {lv.quantity}" for lv in levels))

        once(request, run)
