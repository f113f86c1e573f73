"""Notification pages: the list (each item linked to what it is about, marked read one by one or all
at once), the header's count (fetched by htmx, so no page pays a query for it), and the preferences.
Every signed-in person sees their own, and only their own. Thin: parse, call, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common.errors import Refused
from common.forms import add_refusal
from common.paging import choice, cursor
from notices import selectors, services
from notices.forms import PreferencesForm
from notices.selectors import COUNT_AT_MOST


def notice_list(request: HttpRequest) -> HttpResponse:
    show = choice(request, "show", ("unread", "all"), "unread")
    page = selectors.notice_page(user=request.user, unread_only=show == "unread", cursor=cursor(request))
    return render(request, "notices/notice_list.html", {"notices": page.rows, "page": page, "show": show})


def notice_count(request: HttpRequest) -> HttpResponse:
    """The header's count of unread notices (a fragment htmx draws into the header)."""
    n = selectors.unread_count(user=request.user)
    return render(request, "notices/_count.html", {"n": n, "more": n >= COUNT_AT_MOST})


@require_POST
def notice_read(request: HttpRequest, notice: int) -> HttpResponse:
    services.notice_mark_read(user=request.user, notice_id=notice)
    return redirect("notices:notice_list")


@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    n = services.notice_mark_read(user=request.user)
    messages.success(request, f"{n} notifications marked read." if n != 1 else "1 notification marked read.")
    return redirect("notices:notice_list")


def preferences(request: HttpRequest) -> HttpResponse:
    current = services.preferences_for(user=request.user)
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(user=request.user, choices=form.cleaned_data)
        except Refused as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notices:preferences")
    return render(request, "notices/preferences.html", {"form": form, "has_email": bool(request.user.email)})
