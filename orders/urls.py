"""The despatch pages: orders and stock."""

from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<order_ref:order_ref>/", views.order_detail, name="order_detail"),
    path("orders/<order_ref:order_ref>/refresh/", views.order_refresh, name="order_refresh"),
    path("orders/<order_ref:order_ref>/submit/", views.order_submit, name="order_submit"),
    path("orders/<order_ref:order_ref>/place-again/", views.order_place_again, name="order_place_again"),
    path("stock/", views.stock, name="stock"),
    path("stock/<str:code>/threshold/", views.stock_threshold, name="stock_threshold"),
]
