"""The Reports page and each report's CSV."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.reports, name="reports"),
    path("reports/<slug:name>.csv", views.report_csv, name="report_csv"),
]
