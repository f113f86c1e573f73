from django.urls import path, register_converter
from django.urls.converters import StringConverter

from orders import views


class OrderRefConverter(StringConverter):
    """Our order references: capitals, digits and dashes only."""

    regex = r"[A-Z0-9-]{1,20}"


register_converter(OrderRefConverter, "order_ref")

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<order_ref:order_ref>/", views.order_detail, name="order_detail"),
    path("orders/<order_ref:order_ref>/refresh/", views.order_refresh, name="order_refresh"),
    path("orders/<order_ref:order_ref>/submit/", views.order_submit, name="order_submit"),
    path("stock/", views.stock, name="stock"),
]
