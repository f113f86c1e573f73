"""The number search: the pool's free numbers that start as typed, for the number box of the
activation and number forms (htmx redraws its list as one types). Thin: parse, read, render."""

from django.http import HttpRequest, HttpResponse

from common.paging import search_text
from common.web import requires
from sims.forms import free_numbers_box


@requires("sims.view_geographicnumber")
def number_free(request: HttpRequest) -> HttpResponse:
    """The free numbers starting as typed in ?number= (any UK way of writing one): a few, in order."""
    return HttpResponse(free_numbers_box(search_text(request, "number")[:30]))
