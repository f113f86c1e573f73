"""Staff pages of an adoption (SIMs already in use at aql, brought into our records): its progress,
redrawn while aql is asked, counted by what aql said and what we did; its ICCIDs a page at a time;
every row's outcome as a CSV; asking again those whose answer is not known. Thin: parse, call one
service or selector, render. (The adoption is started from sims.views.imports.sim_adopt.)"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.csvout import csv_download
from common.paging import choice, cursor, every_row
from common.web import requires, shows_refusals
from sims import services
from sims.models import Adoption, AdoptionRow
from sims.selectors_adoptions import adoption_progress, adoption_rows, adoption_rows_page
from sims.services.adoptions import ADOPT_PERMISSION, lost_before
from sims.views._shared import _when

SAID = [value for value in AdoptionRow.Said.values if value]


@requires("sims.view_sim")
def adoption_detail(request: HttpRequest, adoption: int) -> HttpResponse:
    """An adoption's progress (redrawn while ICCIDs wait or are asked) and its ICCIDs, a page at a time,
    narrowed by what aql said, each with what was done in words and a link to its SIM."""
    adoption = get_object_or_404(Adoption, pk=adoption)
    progress = adoption_progress(adoption, lost_before=lost_before())
    said = choice(request, "said", SAID)
    page = adoption_rows_page(adoption=adoption, said=said, cursor=cursor(request))
    live = bool(progress["waiting"] or progress["asking"] or adoption.queueing)
    return render(request, "sims/adoption_detail.html", {
        "adoption": adoption, "progress": progress, "said": said, "page": page, "live": live,
        "may_ask_again": progress["not_known"] and request.user.has_perm(ADOPT_PERMISSION)})


@requires(ADOPT_PERMISSION)
@require_POST
@shows_refusals("sims:adoption_detail")
def adoption_ask_again(request: HttpRequest, adoption: int) -> HttpResponse:
    """Ask aql again about the ICCIDs whose answer is not known: a person's decision, never the worker's."""
    adoption = get_object_or_404(Adoption, pk=adoption)
    again = services.adoption_ask_again(adoption_id=adoption.pk, actor=request.user)
    messages.success(request, f"{again:,} ICCIDs whose answer was not known are to be asked again.")
    return redirect("sims:adoption_detail", adoption=adoption.pk)


@requires("sims.view_sim")
def adoption_csv(request: HttpRequest, adoption: int) -> StreamingHttpResponse:
    """Each ICCID of the adoption: what aql said, what we did, in words."""
    adoption = get_object_or_404(Adoption, pk=adoption)
    header = ["iccid", "aql_said", "we_did", "outcome", "asked_at", "answered_at"]
    return csv_download(f"adoption-{adoption.pk}.csv", header, (
        [row.iccid, row.get_said_display() if row.said else "", row.get_did_display() if row.did else "",
         row.outcome or row.get_state_display(), _when(row.asked_at), _when(row.answered_at)]
        for row in every_row(adoption_rows(adoption=adoption))))
