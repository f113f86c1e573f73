"""Staff pages for CSV files: stock in, activations, SIMs to adopt (the upload, then its preview to confirm).
Thin: parse, call one service, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from common.errors import Refused
from common.forms import add_refusal
from common.paging import cursor
from common.web import forbidden, requires
from sims import lifecycle, services
from sims.forms import AdoptForm, UploadForm
from sims.lifecycle import Command
from sims.models import Adoption, Batch, Upload
from sims.selectors_adoptions import adoption_page
from sims.services.adoptions import ADOPT_PERMISSION
from sims.services.imports import COLUMNS

UPLOAD_PERMISSIONS = {Upload.STOCK: "sims.add_sim", Upload.ACTIVATE: lifecycle.TABLE[Command.ACTIVATE].permission,
                      Upload.ADOPT: ADOPT_PERMISSION}
READY = {Upload.STOCK: ("new",), Upload.ACTIVATE: ("ready",), Upload.ADOPT: ("new", "ours")}  # rows to be done
# the page to upload again from
UPLOAD_PAGES = {Upload.STOCK: "sims:sim_import", Upload.ACTIVATE: "sims:sim_import", Upload.ADOPT: "sims:sim_adopt"}


@requires("sims.view_sim")
def sim_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV file of SIMs (or paste ICCIDs): its preview comes next, and nothing is done before."""
    kinds = [(k, label) for k, label in Upload._meta.get_field("kind").choices
             if UPLOAD_PAGES[k] == "sims:sim_import" and request.user.has_perm(UPLOAD_PERMISSIONS[k])]
    if not kinds:
        return forbidden(request, UPLOAD_PERMISSIONS[Upload.STOCK])
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds,
                      initial={"kind": request.GET.get("kind", kinds[0][0])})
    return _upload_page(request, form, "sims/import.html", {"may_adopt": request.user.has_perm(ADOPT_PERMISSION)})


@requires(ADOPT_PERMISSION)
def sim_adopt(request: HttpRequest) -> HttpResponse:
    """Adopt SIMs already in use at aql: their ICCIDs uploaded or pasted, previewed as any file (nothing
    is done before it is confirmed); the adoptions made so far, newest first."""
    form = AdoptForm(request.POST or None, request.FILES or None)
    return _upload_page(request, form, "sims/adopt.html", {"page": adoption_page(cursor=cursor(request))})


def _upload_page(request: HttpRequest, form: UploadForm, template: str, context: dict) -> HttpResponse:
    """A page with a form to upload (or paste) a file: posted and sound, the file is kept and checked,
    and its preview comes next."""
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.upload_preview(file=form.cleaned_data["upload"], kind=form.cleaned_data["kind"],
                                             actor=request.user)
        except Refused as exc:
            exc.field = exc.field if exc.field != "file" or not form.cleaned_data.get("pasted") else "pasted"
            add_refusal(form, exc)
        else:
            return redirect("sims:sim_import_preview", upload=upload.pk)
    return render(request, template, {"form": form, "columns": COLUMNS, **context})


@requires("sims.view_sim")
def sim_import_preview(request: HttpRequest, upload: int) -> HttpResponse:
    """What the file would do, row by row; confirmed, it is done (or cancelled, forgotten). An
    upload is its uploader's alone: it may hold subscribers' details."""
    upload = get_object_or_404(Upload, pk=upload, actor=request.user)
    permission = UPLOAD_PERMISSIONS[upload.kind]
    if not request.user.has_perm(permission):
        return forbidden(request, permission)
    if upload.batch_id:  # confirmed: it lives on as its batch
        return redirect("sims:batch_detail", batch=upload.batch_id)
    preview = upload.preview
    if request.method == "POST":
        if request.POST.get("action") == "cancel":
            try:
                services.upload_discard(upload_id=upload.pk)
            except Refused as exc:
                messages.error(request, exc.message)
                return redirect(UPLOAD_PAGES[upload.kind])
            messages.info(request, f"{upload.name}: nothing was done, and the file is forgotten.")
            return redirect(UPLOAD_PAGES[upload.kind])
        try:
            done = services.upload_confirm(upload_id=upload.pk, actor=request.user)
        except Refused as exc:
            messages.error(request, exc.message)
            return redirect("sims:sim_import_preview", upload=upload.pk)
        if isinstance(done, Adoption):
            messages.success(request, f"{done.size:,} ICCIDs to ask aql about: the worker asks about each in turn. "
                             "Follow them here.")
            return redirect("sims:adoption_detail", adoption=done.pk)
        if isinstance(done, Batch):
            messages.success(request, f"The file's {preview['counts']['ready']:,} ready rows are being queued: "
                             "the worker sends them in turn. Follow them here.")
            return redirect("sims:batch_detail", batch=done.pk)
        expected = preview["counts"].get("new", 0)
        messages.success(request, f"{done:,} SIMs added." + (
            f" {expected - done:,} of those the preview showed were added by someone else meanwhile."
            if done < expected else ""))
        return redirect("sims:sim_list")
    labels = {name: column.label for name, column in COLUMNS[upload.kind].items()}
    return render(request, "sims/import_preview.html", {
        "upload": upload, "preview": preview, "columns": [(c, labels[c]) for c in preview["columns"]],
        "ready": sum(preview["counts"].get(kind, 0) for kind in READY[upload.kind]), "back": UPLOAD_PAGES[upload.kind],
        "more_problems": preview["counts"].get("invalid", 0) + preview["counts"].get("here", 0)
        > len(preview["problems"])})
