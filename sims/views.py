"""Staff pages for SIMs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The staff landing page (the dashboard arrives with the web UI)."""
    return render(request, "sims/home.html")
