from django.urls import path

from sims import views

urlpatterns = [
    path("", views.home, name="home"),
]
