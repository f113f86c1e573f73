from django.urls import path, register_converter
from django.urls.converters import StringConverter

from sims import views


class IccidConverter(StringConverter):
    """19 or 20 digits: anything else in the address is a plain 404."""

    regex = r"[0-9]{19,20}"


register_converter(IccidConverter, "iccid")

urlpatterns = [
    path("sims/", views.sim_list, name="sim_list"),
    path("sims/<iccid:iccid>/", views.sim_detail, name="sim_detail"),
    path("sims/<iccid:iccid>/activate/", views.sim_activate, name="sim_activate"),
    path("sims/<iccid:iccid>/suspend/", views.sim_suspend, name="sim_suspend"),
    path("sims/<iccid:iccid>/reactivate/", views.sim_reactivate, name="sim_reactivate"),
    path("sims/<iccid:iccid>/deactivate/", views.sim_deactivate, name="sim_deactivate"),
    path("sims/<iccid:iccid>/services/", views.sim_services, name="sim_services"),
    path("sims/<iccid:iccid>/number/", views.sim_number, name="sim_number"),
    path("sims/<iccid:iccid>/query/", views.sim_query, name="sim_query"),
    path("sims/<iccid:iccid>/erase-subscriber/", views.sim_erase_subscriber, name="sim_erase_subscriber"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<int:pk>/check/", views.request_check, name="request_check"),
    path("requests/<int:pk>/resolve/", views.request_resolve, name="request_resolve"),
    path("numbers/", views.number_list, name="number_list"),
]
