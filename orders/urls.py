from django.urls import path

from orders import views

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<str:order_ref>/", views.order_detail, name="order_detail"),
    path("orders/<str:order_ref>/refresh/", views.order_refresh, name="order_refresh"),
    path("orders/<str:order_ref>/submit/", views.order_submit, name="order_submit"),
    path("stock/", views.stock, name="stock"),
]
