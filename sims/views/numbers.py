"""Staff pages for the number pool: its list (and adding numbers, ending a rest early), and the number
search: the pool's free numbers that start as typed, for the number box of the activation and number
forms (htmx redraws its list as one types). Thin: parse, read, render."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from access.decorators import second_factor_recent
from common.errors import REFUSALS
from common.forms import add_refusal
from common.paging import choice, cursor, search_text
from common.validators import phone_national
from common.web import forbidden, requires
from sims import selectors, selectors_rests, services
from sims.forms import BulkNumbersForm, RestEndForm, free_numbers_box


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
    return render(request, "sims/number_list.html", {"numbers": page.rows, "page": page, "show": show, "q": q,
                                                     "form": form, "rest_days": settings.NUMBER_REST_DAYS})


@requires("sims.view_geographicnumber")
def number_free(request: HttpRequest) -> HttpResponse:
    """The free numbers starting as typed in ?number= (any UK way of writing one): a few, in order."""
    return HttpResponse(free_numbers_box(search_text(request, "number")[:30]))


@requires("sims.add_geographicnumber")
@second_factor_recent
def number_rest_end(request: HttpRequest, number: str) -> HttpResponse:
    """End a number's rest early, saying why (a Supervisor). The pool page's button posts here; what
    is refused (no reason given, say) comes back on this page, next to its field."""
    geo = selectors_rests.number_resting_detail(number=number)
    if geo is None:
        raise Http404("No such number in our pool.")
    form = RestEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.number_rest_end(number=geo.number, actor=request.user, reason=form.cleaned_data["reason"])
        except REFUSALS as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, f"The rest of {phone_national(geo.number)} was ended: anyone may have it now.")
            return redirect(f"{reverse('sims:number_list')}?show=resting")
    return render(request, "sims/number_rest_end.html", {"n": geo, "form": form})
