"""Probes, without a sign-in: liveness and readiness (JSON)."""

from django.urls import path

from ops import health

app_name = "ops"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
