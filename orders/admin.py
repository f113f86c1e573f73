"""Django admin for despatch orders and stock. Actions call the same services as the pages."""


from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import (
    BadgeMedia,
    KeepsHistory,
    LongList,
    NamedInUrl,
    ReadOnlyAdmin,
    admin_link,
    badge_of,
    for_each,
    once,
)
from common.forms import add_refusal
from common.outcomes import Outcome
from common.validators import clean_iccid, clean_postcode, phone_national
from orders import services
from orders.lifecycle import SUBMITTABLE, OrderState
from orders.models import DespatchOrder, Product, StockLevel
from orders.outcomes import order_outcome

RECIPIENT = ("name", "company", "address", "postcode", "contact_no")


class DespatchOrderForm(forms.ModelForm):
    """A draft's recipient, checked as the staff page checks it."""

    # typed any usual way ("+44 (0)7700 900 355"): longer than the aql form it is kept in
    contact_no = forms.CharField(label="Contact number", max_length=30)

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
class DespatchOrderAdmin(NamedInUrl, LongList, KeepsHistory, admin.ModelAdmin):
    """Never deleted, not even a draft: each has a trail (who made it, aql's answers), and the
    staff site has no way to delete one either."""

    Media = BadgeMedia
    form = DespatchOrderForm
    list_display = ("order_ref", "state_badge", "name", "company", "postcode", "iccid", "sim", "created_at")
    list_filter = ("state",)
    list_select_related = ("sim",)
    list_columns = ("order_ref", "state", "name", "company", "postcode", "iccid", "sim__iccid", "created_at")
    search_fields = ("order_ref",)  # the box; the search itself is exact_search and name_search
    search_help_text = "An order reference, a whole ICCID or postcode, or at least three letters of a name"
    exact_search = {"order_ref": str.upper, "iccid": clean_iccid, "postcode": clean_postcode}
    sortable_by = ("order_ref", "created_at")
    name_search = ("name",)
    readonly_fields = ("order_ref", "state", "reason", "iccid", "sim_link", "created_by", "created_at",
                       "submitted_at", "settled_at")
    actions = ("refresh", "submit")

    def save_model(self, request: HttpRequest, obj: DespatchOrder, form: forms.ModelForm, change: bool) -> None:
        services.order_correct(order_id=obj.pk, actor=request.user,
                               **{field: form.cleaned_data[field] for field in RECIPIENT})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders are placed from the staff pages or `manage.py orders despatch`

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> DespatchOrder | None:
        """An order by its id, or by its reference typed into the URL (/admin/orders/despatchorder/MVN-…/change/)."""
        if from_field is None and not object_id.isdigit():
            return self.get_queryset(request).filter(order_ref=object_id.strip().upper()).first()
        return super().get_object(request, object_id, from_field)

    def get_readonly_fields(self, request: HttpRequest, obj: DespatchOrder | None = None) -> tuple[str, ...]:
        if obj is not None and obj.state not in SUBMITTABLE:  # aql has it: what was sent stays as sent
            return (*self.readonly_fields, *RECIPIENT, "contact_shown")
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: DespatchOrder | None = None) -> list[str]:
        # read-only, the contact number is shown by `contact_shown`, as staff read it, not as kept
        fields = super().get_fields(request, obj)
        return [f for f in fields if f != "contact_no"] if "contact_shown" in fields else fields

    @admin.display(description="contact number")
    def contact_shown(self, obj: DespatchOrder) -> str:
        return phone_national(obj.contact_no)

    @admin.display(description="SIM")
    def sim_link(self, obj: DespatchOrder) -> str:
        if obj.sim_id is None:
            return "-"
        return admin_link("admin:sims_sim_change", obj.sim_id, obj.iccid)

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: DespatchOrder) -> str:
        return badge_of(OrderState(obj.state))

    def has_place_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.place_order")

    # Each says how its order stands as the order's page does (its words name the order).
    @admin.action(description="Refresh from aql", permissions=["place"])
    def refresh(self, request: HttpRequest, queryset: QuerySet[DespatchOrder]) -> None:
        for_each(request, queryset, lambda order: order_outcome(services.order_refresh(order_id=order.pk,
                                                                                       actor=request.user)),
                 name=None)

    @admin.action(description="Send to aql for despatch", permissions=["place"])
    def submit(self, request: HttpRequest, queryset: QuerySet[DespatchOrder]) -> None:
        for_each(request, queryset, lambda order: order_outcome(services.order_submit(order_id=order.pk,
                                                                                      actor=request.user)),
                 name=None)


@admin.register(Product)
class ProductAdmin(KeepsHistory, admin.ModelAdmin):
    """A product code carries its stock history: never deleted. Once it exists only its warning
    threshold changes, through the stock page's service (so the change is in the audit trail)."""

    list_display = ("code", "low_stock_threshold")
    search_fields = ("code",)

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> tuple[str, ...]:
        return ("code",) if obj else ()

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        if change:
            services.product_threshold_set(code=obj.code, threshold=form.cleaned_data["low_stock_threshold"],
                                           actor=request.user)
        else:
            super().save_model(request, obj, form, change)


@admin.register(StockLevel)
class StockLevelAdmin(LongList, ReadOnlyAdmin):
    """A snapshot per product every fifteen minutes, for years: a long list. (No date drill-down:
    it reads the years and months of every snapshot.)"""

    list_display = ("checked_at", "product", "quantity", "low")
    list_filter = ("product", "low")
    list_select_related = ("product",)
    sortable_by = ("checked_at",)
    actions = ("refresh_stock",)

    def has_place_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("orders.place_order")

    @admin.action(description="Take a stock snapshot from aql now", permissions=["place"])
    def refresh_stock(self, request: HttpRequest, queryset: QuerySet[StockLevel]) -> None:
        def run() -> Outcome:
            services.stock_refresh()
            return Outcome.done("Stock checked with aql just now.")  # as the stock page says; the list shows it

        once(request, run)
