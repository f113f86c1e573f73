"""Django admin for orders and stock, in the staff site's words: orders by reference, aql's codes
in words, action messages as the order and stock pages say them, thresholds through the service."""

import pytest

from common.models import AuditEvent
from orders import services
from orders.models import DespatchOrder, OrderState, Product, StockLevel
from tests.orders.test_orders import RECIPIENT

pytestmark = pytest.mark.django_db


def messages_on(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_order_reference_typed_into_the_admin_url_opens_that_order(world, admin_client):
    order = services.order_create(actor=None, **RECIPIENT)
    assert admin_client.get(f"/admin/orders/despatchorder/{order.order_ref}/change/").context["original"] == order
    lower = admin_client.get(f"/admin/orders/despatchorder/{order.order_ref.lower()}/change/")
    assert lower.context["original"] == order
    assert admin_client.get(f"/admin/orders/despatchorder/{order.pk}/change/").context["original"] == order
    assert admin_client.get("/admin/orders/despatchorder/MVN-NOSUCH/change/")["Location"] == "/admin/"


def test_an_orders_refusal_shows_aqls_code_in_words(world, admin_client):
    world.fake.account.stock = {"AQL-123": 0}
    order = services.order_despatch(actor=None, **RECIPIENT)
    page = admin_client.get(f"/admin/orders/despatchorder/{order.pk}/change/").text
    assert "There are not enough SIMs in stock on our account to despatch. (aql code 3)" in page


def test_the_send_action_says_what_the_order_page_says(world, admin_client):
    world.fake.account.stock = {"AQL-123": 0}
    draft = services.order_despatch(actor=None, **RECIPIENT)
    world.fake.account.stock = {"AQL-123": 5}
    sent = services.order_despatch(actor=None, **RECIPIENT)
    response = admin_client.post("/admin/orders/despatchorder/",
                                 {"action": "submit", "_selected_action": [draft.pk, sent.pk]}, follow=True)
    assert set(messages_on(response)) == {f"Order {draft.order_ref}: processing.",
                                          f"Order {sent.order_ref} is processing: it cannot be sent again."}
    assert DespatchOrder.objects.get(pk=draft.pk).state == OrderState.PROCESSING


def test_the_refresh_action_says_what_the_order_page_says(world, admin_client):
    world.fake.account.stock = {}
    draft = services.order_create(actor=None, **RECIPIENT)
    response = admin_client.post("/admin/orders/despatchorder/", {"action": "refresh",
                                                                  "_selected_action": [draft.pk]}, follow=True)
    assert messages_on(response) == [f"Order {draft.order_ref}: draft."]
    assert world.fake.count("query") == 0  # a draft is not asked about


def test_the_stock_action_says_what_the_stock_page_says(world, admin_client):
    services.stock_refresh()
    level = StockLevel.objects.first()
    response = admin_client.post("/admin/orders/stocklevel/", {"action": "refresh_stock",
                                                               "_selected_action": [level.pk]}, follow=True)
    assert messages_on(response) == ["Stock checked with aql just now."]
    assert StockLevel.objects.count() == 2 * Product.objects.count()


def test_a_threshold_set_in_admin_is_recorded_as_from_the_stock_page(world, admin_client):
    services.stock_refresh()
    product = Product.objects.get(code="AQL-123")
    response = admin_client.post(f"/admin/orders/product/{product.pk}/change/",
                                 {"code": "CHANGED", "low_stock_threshold": "500"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.code, product.low_stock_threshold) == ("AQL-123", 500)  # the code stays aql's
    assert AuditEvent.objects.filter(subject="product AQL-123").get().message == (
        "Warning threshold for AQL-123: none -> below 500.")
