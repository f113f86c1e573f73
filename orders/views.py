"""Staff pages for despatch orders and stock. Thin: parse, call one service, render."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.forms import add_refusal
from common.paging import choice, cursor
from common.web import forbidden, requires, say, shows_refusals
from orders import selectors, services
from orders.forms import OrderForm, ThresholdForm
from orders.lifecycle import OPEN, OrderState
from orders.models import DespatchOrder
from orders.outcomes import order_outcome


@requires("orders.view_despatchorder")
def order_list(request: HttpRequest) -> HttpResponse:
    state = choice(request, "state", [*OrderState.values, "open"])
    page = selectors.order_page(state=state, cursor=cursor(request))
    return render(request, "orders/order_list.html", {"orders": page.rows, "page": page,
                                                      "state": state, "states": OrderState.choices,
                                                      "live": any(o.state in OPEN for o in page.rows)})


@requires("orders.place_order")
def order_new(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_despatch(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            say(request, order_outcome(order))
            return redirect("orders:order_detail", order_ref=order.order_ref)
    return render(request, "orders/order_form.html", {"form": form})


@requires("orders.view_despatchorder")
def order_detail(request: HttpRequest, order_ref: str) -> HttpResponse:
    order = get_object_or_404(DespatchOrder.objects.select_related("sim", "created_by", "replaces"),
                              order_ref=order_ref)
    replaced_by = DespatchOrder.objects.filter(replaces=order).first()
    # The page redraws itself only while aql has the order: a redraw finding it settled is its last, and
    # the banner of how it was sent gives way to how it ended.
    redrawn = bool(request.headers.get("HX-Request")) and order.state not in OPEN
    if redrawn:
        say(request, order_outcome(order))
    return render(request, "orders/order_detail.html", {"order": order, "replaced_by": replaced_by,
                                                        "trail": order.events.all()[:50], "messages_redrawn": redrawn})


def _button(act: Callable[[HttpRequest, DespatchOrder], DespatchOrder]) -> Callable[..., HttpResponse]:
    """The view of an order's button: act, say how it went, show the order it led to."""

    @requires("orders.place_order")
    @require_POST
    @shows_refusals("orders:order_detail")
    def view(request: HttpRequest, order_ref: str) -> HttpResponse:
        order = act(request, get_object_or_404(DespatchOrder, order_ref=order_ref))
        say(request, order_outcome(order))
        return redirect("orders:order_detail", order_ref=order.order_ref)

    return view


order_refresh = _button(lambda request, order: services.order_refresh(order_id=order.pk, actor=request.user))
order_submit = _button(lambda request, order: services.order_submit(order_id=order.pk, actor=request.user))
# a new order, with a reference of its own: the page shows that one
order_place_again = _button(lambda request, order: services.order_place_again(order_id=order.pk, actor=request.user))


@requires("orders.view_stocklevel")
@shows_refusals("orders:stock")
def stock(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_perm("orders.place_order"):
            return forbidden(request, "orders.place_order")
        services.stock_refresh()
        messages.success(request, "Stock checked with aql just now.")
        return redirect("orders:stock")
    return render(request, "orders/stock.html", {"products": selectors.stock_latest()})


@requires("orders.change_product")
@require_POST
@shows_refusals("orders:stock")
def stock_threshold(request: HttpRequest, code: str) -> HttpResponse:
    """Set one product code's warning threshold, from the stock page."""
    form = ThresholdForm(request.POST)
    if not form.is_valid():
        for error in form.errors["threshold"]:
            messages.error(request, f"{code}: {error}")
        return redirect("orders:stock")
    product = services.product_threshold_set(code=code, threshold=form.cleaned_data["threshold"], actor=request.user)
    threshold = product.low_stock_threshold
    messages.success(request, f"{code}: " + ("no warning." if threshold is None else f"warn below {threshold:,}."))
    return redirect("orders:stock")
