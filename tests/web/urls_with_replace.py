"""The site's URLs with a page named `sims:sim_replace`, as the replacement's own change brings it: for
the test that a lost or stolen SIM's suspend offers the replacement once that page is there."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from mvnoadmin.urls import urlpatterns as site
from sims.urls import app_name
from sims.urls import urlpatterns as sim_pages


def _replace(request: HttpRequest, iccid: str) -> HttpResponse:
    return HttpResponse("The replacement's page.")


# First, so its namespace is the one `reverse` reads; the site's own follow unchanged.
urlpatterns = [path("", include(([*sim_pages, path("sims/<iccid:iccid>/replace/", _replace, name="sim_replace")],
                                 app_name))), *site]
