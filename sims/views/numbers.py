"""Staff pages for the number pool: its list (and adding numbers), and the number search: the pool's
free numbers that start as typed, for the number box of the activation and number forms (htmx
redraws its list as one types). Thin: parse, read, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.paging import choice, cursor, search_text
from common.web import forbidden, requires
from sims import selectors
from sims.forms import BulkNumbersForm, free_numbers_box


@requires("sims.view_geographicnumber")
def number_list(request: HttpRequest) -> HttpResponse:
    show = choice(request, "show", selectors.NUMBER_VIEWS)
    q = search_text(request)
    if request.method == "POST" and not request.user.has_perm("sims.add_geographicnumber"):
        return forbidden(request, "sims.add_geographicnumber")
    form = BulkNumbersForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and (added := form.add(actor=request.user)) is not None:
        messages.success(request, f"{added} numbers added to the pool.")
        return redirect("sims:number_list")
    page = selectors.number_page(show=show, search=q, cursor=cursor(request))
    return render(request, "sims/number_list.html", {"numbers": page.rows, "page": page,
                                                     "show": show, "q": q, "form": form})


@requires("sims.view_geographicnumber")
def number_free(request: HttpRequest) -> HttpResponse:
    """The free numbers starting as typed in ?number= (any UK way of writing one): a few, in order."""
    return HttpResponse(free_numbers_box(search_text(request, "number")[:30]))
