"""What every app's Django admin shares: badges, a base for read-only history, a mixin for lists
that grow to millions (a capped pager, search through indexes only), and the one way an admin
action reports per row. And the admin of what this app owns: users (never deleted) and the general audit trail."""

from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import cache
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME, ActionForm
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import get_script_prefix, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from common.errors import REFUSALS, refusal_text
from common.models import AuditEvent
from common.outcomes import Outcome
from common.paging import rows_by_id
from common.roles import SYSTEM_USERNAME
from common.search import contains_q
from common.templatetags.words import address_around, badge, escape

# Stands for a row's id in an address reversed once (letters and digits: admin's quote and the URL's
# own leave it alone), so a list's fifty links cost one reverse().
ID_MARK = "rowid0mark9q"


def badge_of(choice: Any) -> str:
    """A state's badge from its choice (`SimState(obj.state)`, say: its label and colour), drawn once a
    process: a list draws one a row, and Django's get_FIELD_display makes a dict of every choice for each call."""
    return _badge(type(choice), choice.name)  # by kind too: two kinds' "pending" are equal strings


@cache
def _badge(kind: Any, name: str) -> str:
    choice = kind[name]
    return badge(choice.label, choice.colour)


def admin_link(viewname: str, pk: Any, text: object) -> str:
    """A link to a row's admin page (`viewname` an admin URL's name that takes the row's id), its
    address reversed once a process (words.address_around): a changelist draws one a row."""
    before, after = address_around(viewname, ID_MARK, get_script_prefix())
    return mark_safe(f'<a href="{before}{escape(quote(pk))}{after}">{escape(text)}</a>')  # noqa: S308


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


class NamedInUrl:
    """A ModelAdmin mixin for rows staff name in the URL by something other than their id (its
    `get_object` takes an ICCID, say): the row's history page, which Django looks up by the raw
    URL id, is sent to the id's own address."""

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        row = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if row is not None and str(row.pk) != object_id:
            opts = row._meta
            return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[row.pk]))
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]


ADMIN_ROWS_AT_MOST = 2_500  # 50 pages


class CappedPaginator(Paginator):
    """Admin lists read the ids of at most ADMIN_ROWS_AT_MOST rows (and one more, to know there are
    more) once, in the list's order: a LIMIT, its cost bounded however big the table. The count is
    theirs, a page is its ids' rows, so a search runs once (not again for the count) and the last
    page costs what the first does (an OFFSET walked every row it skipped). Past the cap, the
    search and the filters narrow the list."""

    def __init__(self, object_list: Any, per_page: int, *args: Any, columns: tuple[str, ...] = (), **kwargs: Any):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.columns = columns

    @cached_property
    def ids(self) -> list:
        return list(self.object_list.values_list("pk", flat=True)[:ADMIN_ROWS_AT_MOST + 1])

    @cached_property
    def count(self) -> int:
        return min(len(self.ids), ADMIN_ROWS_AT_MOST)

    @property
    def capped(self) -> bool:
        return len(self.ids) > ADMIN_ROWS_AT_MOST

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        return self._get_page(self.rows(self.ids[start:start + self.per_page]), number, self)

    def rows(self, ids: list) -> list:
        return rows_by_id(self.object_list.only(*self.columns) if self.columns else self.object_list, ids)


class DrawnSelect(forms.Select):
    """Django's select, its markup drawn in Python: through the template engine, a template for the box
    and one for each option, the admin's action box cost more than a changelist's filters."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        if any(group for group, _, _ in widget["optgroups"]):
            return super().render(name, value, attrs, renderer)
        options = "".join(f'<option value="{escape(option["value"])}"{flatatt(option["attrs"])}>'
                          f'{escape(option["label"])}</option>'
                          for _, group_options, _ in widget["optgroups"] for option in group_options)
        return mark_safe(f'<select name="{escape(name)}"{flatatt(widget["attrs"])}>{options}</select>')  # noqa: S308


class DrawnHidden(forms.HiddenInput):
    """Django's hidden input, its markup drawn in Python (as DrawnSelect)."""

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
        return mark_safe(f'<input type="hidden" name="{escape(name)}"{shown}{flatatt(widget["attrs"])}>')  # noqa: S308


class DrawnActionForm(ActionForm):
    """Django's action form, drawn without the template engine."""

    action = forms.ChoiceField(label=gettext_lazy("Action:"), widget=DrawnSelect)
    select_across = forms.BooleanField(label="", required=False, initial=0,
                                       widget=DrawnHidden({"class": "select-across"}))


class DrawnMedia:
    """A page's scripts and style sheets (Django's Media, as the changelist template shows them: `media.css`,
    `media.js`) drawn once a process for each set of them: Django merges its lists in order (a topological
    sort) and makes each file's address again on every page, half a millisecond of a list's."""

    _drawn: dict[str, tuple[str, str]] = {}  # as many as there are admins

    def __init__(self, media: forms.Media) -> None:
        # The files' names. Were one a Script object whose repr is not its name, the cap keeps this bounded.
        key = repr((media._css_lists, media._js_lists))
        if len(self._drawn) > 200:
            self._drawn.clear()
        if key not in self._drawn:
            self._drawn[key] = (str(media["css"]), str(media["js"]))
        self.css, self.js = (mark_safe(part) for part in self._drawn[key])  # noqa: S308 (Django's markup)

    def __str__(self) -> str:
        return mark_safe("\n".join(part for part in (self.css, self.js) if part))  # noqa: S308 (as Media.render)


class SortableOnly(ChangeList):
    """A change list that ignores a typed ?o= on a column not offered for sorting, as its header
    does: on a big table, that sort would read every row. A list of one page (or "show all") is
    drawn from the ids its paginator read, not by running its query again."""

    def get_ordering_field(self, field_name: str) -> str | None:
        return super().get_ordering_field(field_name) if field_name in self.sortable_by else None

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if isinstance(self.paginator, CappedPaginator) and isinstance(self.result_list, QuerySet):
            self.result_list = self.paginator.rows(self.paginator.ids[:ADMIN_ROWS_AT_MOST])


class LongList:
    """A ModelAdmin mixin for tables that grow to millions: a capped pager that says so, and a
    search through indexes only. `exact_search` maps a field to how a typed term becomes its value
    (a ValueError or ValidationError: not that field); `name_search` lists fields found by part of
    a name through their trigram index (common.search). Django's own search would use "=" (iexact:
    UPPER() defeats the index) or LIKE '%x%' over every row."""

    paginator = CappedPaginator
    action_form = DrawnActionForm
    show_facets = admin.ShowFacets.NEVER  # "Show counts" would count every filter's choices over every row
    show_full_result_count = False
    list_per_page = 50  # as the staff site's lists: a changelist's cost is mostly drawing its rows
    exact_search: dict[str, Callable[[str], Any]] = {}
    name_search: tuple[str, ...] = ()
    # The columns the rows show (through list_select_related too), read alone for the page: a request's
    # parameters and reply, say, are neither decoded nor read. Empty: every column.
    list_columns: tuple[str, ...] = ()

    def get_paginator(self, request: HttpRequest, queryset: QuerySet, per_page: int, orphans: int = 0,
                      allow_empty_first_page: bool = True) -> Paginator:
        columns = self.list_columns if queryset.model is self.model else ()  # not the history page's entries
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, columns=columns)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return SortableOnly

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if (media := getattr(response, "context_data", {}).get("media")) is not None:
            response.context_data["media"] = DrawnMedia(media)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and changelist.paginator.capped:
            messages.info(request, f"This list shows its first {ADMIN_ROWS_AT_MOST:,} rows: narrow it with "
                                   "the search or the filters to find the others.")
        return response

    def action_checkbox(self, obj: Any) -> str:
        # Django's own draws a form widget through the template engine for every row (a quarter
        # of a list's time); this is the same markup, written out.
        return mark_safe(f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{escape(obj.pk)}" '  # noqa: S308
                         f'class="action-select" aria-label="Select this object for an action - {escape(obj)}">')

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        term = " ".join(search_term.split())
        if not term:
            return queryset, False
        found = Q(pk__in=[])
        for name, clean in self.exact_search.items():
            with suppress(ValueError, ValidationError):
                found |= Q(**{name: clean(term)})
        for name in self.name_search:
            found |= contains_q(queryset.model, name, term)
        return queryset.filter(found), False


def history_table(headings: tuple[str, ...], rows: list[tuple]) -> str:
    """A small read-only table inside a change form (a SIM's latest requests, say)."""
    # In a box that scrolls sideways on a phone (Django's row would cut it off), reachable by keyboard.
    return format_html(
        '<div class="history" tabindex="0" role="region" aria-label="History">'
        "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>",
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

class KeptApps(list):
    """An app list kept for a set of permissions, with what common.templatetags.admin_apps drew of it."""

    def __init__(self, apps: list) -> None:
        super().__init__(apps)
        self.drawn: dict[tuple, str] = {}


_app_lists: dict[tuple, KeptApps] = {}


def _app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
    """Django's app list (every admin page's sidebar, and the index), kept for each set of permissions:
    building it asks each of thirty-odd admins what the user may do and reverses two addresses for each,
    a tenth of a changelist's time. What it shows changes only with the user's permissions, which are its key."""
    user = request.user
    perms = None if user.is_superuser else frozenset(user.get_all_permissions())  # a superuser may do all
    key = (user.pk, user.is_active, perms, get_script_prefix(), app_label)
    if key not in _app_lists:
        if len(_app_lists) > 500:  # bounded: a few per person
            _app_lists.clear()
        _app_lists[key] = KeptApps(admin.AdminSite.get_app_list(admin.site, request, app_label))
    return _app_lists[key]


admin.site.get_app_list = _app_list


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
class AuditEventAdmin(LongList, ReadOnlyAdmin):
    list_display = ("at", "actor_name", "interface", "action", "subject", "message")
    list_filter = ("action", "interface")
    search_fields = ("actor_name",)  # the box; the search itself is exact_search
    search_help_text = "A username, exactly"
    exact_search = {"actor_name": str}
    sortable_by = ("at",)
