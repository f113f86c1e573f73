from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("account/", views.account, name="account"),
]
