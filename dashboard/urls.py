"""The home page, and Prometheus's figures (a token or an address, no sign-in: see `metrics`)."""

from django.urls import path

from dashboard import metrics, views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("metrics", metrics.metrics, name="metrics"),
]
