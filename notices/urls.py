"""The notification pages."""

from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("notifications/", views.notice_list, name="notice_list"),
    path("notifications/count/", views.notice_count, name="notice_count"),
    path("notifications/<int:notice>/read/", views.notice_read, name="notice_read"),
    path("notifications/read-all/", views.notice_read_all, name="notice_read_all"),
    path("notifications/preferences/", views.preferences, name="preferences"),
]
