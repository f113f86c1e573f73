"""What every app's Django admin shares: badges, a base for read-only history, a pager that does
not count a million rows on every view, and the one way an admin action reports per row. And
the admin of what this app owns: users (never deleted) and the general audit trail."""

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from common.errors import REFUSALS, refusal_text
from common.models import AuditEvent
from common.outcomes import Outcome
from common.roles import SYSTEM_USERNAME


def badge(label: str, colour: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', colour, label)


class BadgeMedia:
    css = {"all": ["css/badges.css"]}


class KeepsHistory:
    """A ModelAdmin mixin for records with history (SIMs, numbers, the journal, orders, stock,
    users, audit trails): no "Delete selected" and no delete button, and the delete URL answers
    403 even for a superuser. Deleting would erase what the audit trail and aql's records refer
    to; a record that is done with is terminated, settled or erased through a service instead.
    An admin that allows deleting some rows overrides `has_delete_permission` for one row at a
    time; "Delete selected" stays off, as it would skip the page that shows the row's rule."""

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(KeepsHistory, admin.ModelAdmin):
    """For records that are history: viewable, never added, changed or deleted by hand."""

    Media = BadgeMedia

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CachedCountPaginator(Paginator):
    """Admin lists count their rows for the pager; over a million SIMs that COUNT(*) is the slow
    part of the page, so each distinct list's count is kept for a minute."""

    @cached_property
    def count(self) -> int:
        query = self.object_list.query
        key = "admin-count:" + hashlib.sha1(str(query).encode(), usedforsecurity=False).hexdigest()
        return cache.get_or_set(key, lambda: Paginator.count.func(self), 60)


def history_table(headings: tuple[str, ...], rows: list[tuple]) -> str:
    """A small read-only table inside a change form (a SIM's latest requests, say)."""
    return format_html(
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        format_html_join("", "<th>{}</th>", ((h,) for h in headings)),
        format_html_join("", "<tr>" + "<td>{}</td>" * len(headings) + "</tr>", rows) or "-",
    )


def for_each(request: HttpRequest, rows: Iterable[Any], run: Callable[[Any], Outcome], *,
             name: Callable[[Any], str] | None = str) -> None:
    """The admin actions' one refusal handler: run an action on each selected row and say how
    each went in the staff site's words, the row named first by `name` (None when those words
    name it already, as an order's do); a refusal for one row is reported and the rest go on."""
    for row in rows:
        prefix = f"{name(row)}: " if name else ""
        try:
            outcome = run(row)
        except REFUSALS as exc:
            messages.warning(request, prefix + refusal_text(exc))
        else:
            messages.add_message(request, outcome.level, prefix + outcome.text)


def once(request: HttpRequest, run: Callable[[], Outcome]) -> None:
    """An action that does one thing whatever is selected (take a stock snapshot), reported the same way."""
    try:
        outcome = run()
    except REFUSALS as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.add_message(request, outcome.level, outcome.text)


# --- users and the general audit trail --------------------------------------------------------------

admin.site.unregister(get_user_model())


def _admin_site_permission(request: HttpRequest) -> bool:
    """Django admin is the Admin role's (with the staff flag), not every staff account's."""
    user = request.user
    return user.is_active and user.is_staff and user.has_perm("common.use_admin")


admin.site.has_permission = _admin_site_permission


@admin.register(get_user_model())
class StaffUserAdmin(KeepsHistory, UserAdmin):
    """Users are deactivated, never deleted: their history stays theirs. Roles are given by group;
    only a superuser may make another superuser or hand out single permissions; the system
    account is not shown (it never signs in, and nobody may give it a password)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        users = super().get_queryset(request).exclude(username=SYSTEM_USERNAME)
        # A superuser's account (its password, groups, active flag) is a superuser's business.
        return users if request.user.is_superuser else users.exclude(is_superuser=True)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return (*super().get_readonly_fields(request, obj), "is_superuser", "user_permissions", "last_login",
                "date_joined")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "interface", "action", "subject", "message")
    list_filter = ("action", "interface")
    search_fields = ("=actor_name",)
    show_full_result_count = False
    paginator = CachedCountPaginator
