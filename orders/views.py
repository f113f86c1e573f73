"""Staff pages for despatch orders and stock. Thin: parse, call one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from aql.http import GatewayError
from orders import selectors, services
from orders.forms import OrderForm
from orders.models import DespatchOrder, OrderState
from sims.lifecycle import CommandNotAllowed
from sims.views import page_number


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    state = state if state in OrderState.values or state == "open" else ""
    page = page_number(request)
    rows, has_next = selectors.order_page(state=state, page=page)
    return render(request, "orders/order_list.html", {"orders": rows, "has_next": has_next, "page": page,
                                                      "state": state, "states": OrderState.choices})


@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_despatch(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            _say(request, order)
            return redirect("order_detail", order_ref=order.order_ref)
    return render(request, "orders/order_form.html", {"form": form})


def _say(request: HttpRequest, order: DespatchOrder) -> None:
    text = f"Order {order.order_ref}: {order.get_state_display().lower()}."
    if order.reason:
        text += f" {order.reason}"
    level = {OrderState.PROCESSING: messages.SUCCESS, OrderState.DESPATCHED: messages.SUCCESS,
             OrderState.FAILED: messages.ERROR, OrderState.CANCELLED: messages.ERROR}.get(order.state, messages.WARNING)
    messages.add_message(request, level, text)


@login_required
def order_detail(request: HttpRequest, order_ref: str) -> HttpResponse:
    order = get_object_or_404(DespatchOrder.objects.select_related("sim", "created_by"), order_ref=order_ref)
    return render(request, "orders/order_detail.html", {"order": order})


@login_required
@require_POST
def order_refresh(request: HttpRequest, order_ref: str) -> HttpResponse:
    order = get_object_or_404(DespatchOrder, order_ref=order_ref)
    _say(request, services.order_refresh(order_id=order.pk))
    return redirect("order_detail", order_ref=order.order_ref)


@login_required
@require_POST
def order_submit(request: HttpRequest, order_ref: str) -> HttpResponse:
    order = get_object_or_404(DespatchOrder, order_ref=order_ref)
    try:
        _say(request, services.order_submit(order_id=order.pk))
    except CommandNotAllowed as exc:
        messages.error(request, exc.message)
    return redirect("order_detail", order_ref=order.order_ref)


@login_required
def stock(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.stock_refresh()
            messages.success(request, "Stock checked with aql just now.")
        except GatewayError as exc:
            messages.error(request, f"Could not check stock with aql: {exc}")
        return redirect("stock")
    return render(request, "orders/stock.html", {"products": selectors.stock_latest()})
