from django.urls import path

from sims import views

urlpatterns = [
    path("sims/", views.sim_list, name="sim_list"),
    path("sims/<str:iccid>/", views.sim_detail, name="sim_detail"),
    path("sims/<str:iccid>/activate/", views.sim_activate, name="sim_activate"),
    path("sims/<str:iccid>/suspend/", views.sim_suspend, name="sim_suspend"),
    path("sims/<str:iccid>/reactivate/", views.sim_reactivate, name="sim_reactivate"),
    path("sims/<str:iccid>/deactivate/", views.sim_deactivate, name="sim_deactivate"),
    path("sims/<str:iccid>/services/", views.sim_services, name="sim_services"),
    path("sims/<str:iccid>/number/", views.sim_number, name="sim_number"),
    path("sims/<str:iccid>/query/", views.sim_query, name="sim_query"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<int:pk>/check/", views.request_check, name="request_check"),
    path("numbers/", views.number_list, name="number_list"),
]
