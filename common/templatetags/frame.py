"""The header's navigation, drawn in Python: every page has it, and as template tags its dozen
addresses were reversed and compared on every view (half a millisecond a page, more than some pages'
own queries). The addresses are reversed once per script prefix; the links are the same."""

from functools import lru_cache

from django import template
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString

from common.templatetags.words import escape

register = template.Library()

# (URL name, words, how the page being shown marks the link as current: "exact" path or "within" it)
LINKS = (
    ("dashboard:home", "Dashboard", "exact"),
    ("sims:sim_list", "SIMs", "within"),
    ("sims:request_list", "Requests", "within"),
    ("sims:number_list", "Numbers", "within"),
    ("orders:order_list", "Orders", "within"),
    ("orders:stock", "Stock", "within"),
    ("reports:reports", "Reports", "within"),
    ("notices:notice_list", "Notifications", "within"),
)
ACCOUNT = "access:account"


@lru_cache(maxsize=4)
def _addresses(prefix: str) -> dict[str, str]:
    names = [name for name, _, _ in LINKS] + [ACCOUNT, "notices:notice_count", "admin:index", "logout"]
    return {name: escape(reverse(name)) for name in names}


def _link(url: str, words: str, current: bool, inner: str = "") -> str:
    mark = ' aria-current="page"' if current else ""
    return f'<a href="{url}"{mark}>{words}{inner}</a>'


@register.simple_tag(takes_context=True)
def nav(context: template.Context) -> SafeString:
    """The signed-in header's links: Reports for those who may see them; Notifications (its unread
    count fetched after the page, by htmx) not while a role that needs a second factor has not given
    one; Admin for staff; the account; signing out."""
    request: HttpRequest = context["request"]
    user, path, urls = request.user, request.path, _addresses(get_script_prefix())
    links = []
    for name, words, mark in LINKS:
        if name == "reports:reports" and not user.has_perm("reports.view_reports"):
            continue
        inner = ""
        if name == "notices:notice_list":
            if getattr(request, "second_factor_held", False):
                continue
            inner = (f' <span hx-get="{urls["notices:notice_count"]}" hx-trigger="load, every 60s" '
                     'hx-swap="innerHTML"></span>')
        url = urls[name]
        links.append(_link(url, words, path == url if mark == "exact" else url in path, inner))
    if user.is_staff:
        links.append(f'<a href="{urls["admin:index"]}">Admin</a>')
    links.append(_link(urls[ACCOUNT], "Account", path == urls[ACCOUNT]))
    token = escape(context.get("csrf_token"))
    links.append(f'<form method="post" action="{urls["logout"]}"><input type="hidden" name="csrfmiddlewaretoken" '
                 f'value="{token}"><button type="submit" class="link">Sign out {escape(user.get_username())}'
                 "</button></form>")
    return SafeString("\n      ".join(links))
