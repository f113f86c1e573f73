"""The rest of a Django admin changelist drawn in Python (common.templatetags.admin_filters, common.admin's
action form) is Django's own markup: every registered admin's filters, filtered or not, and the action box.
And the long lists offer no "Show counts" (it would count every filter's choices over every row)."""

import re
from pathlib import Path

import django.contrib.admin
import pytest
from django import forms
from django.contrib.admin.helpers import ActionForm
from django.template import Context, Engine

from common.admin import DrawnActionForm, DrawnSelect
from common.templatetags.admin_filters import admin_filters
from tests.common.test_admin_rows import _changelists, rows_everywhere  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

DJANGOS_FILTER = Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(
    (Path(django.contrib.admin.__file__).parent / "templates/admin/filter.html").read_text())


def _same(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.mark.parametrize("query", ["", "?state__exact=active", "?o=1"])
def test_every_filter_sidebar_is_djangos_markup(rows_everywhere, rf, admin_user, query):  # noqa: F811
    seen = 0
    for label, changelist in _changelists(rf, admin_user, query):
        djangos = "\n".join(
            DJANGOS_FILTER.render(Context({"title": spec.title, "choices": list(spec.choices(changelist)),
                                           "spec": spec}))
            for spec in changelist.filter_specs)
        assert _same(admin_filters(changelist)) == _same(djangos), label
        seen += len(changelist.filter_specs)
    assert seen >= 5


def test_the_action_box_is_djangos_markup(rows_everywhere, rf, admin_user):  # noqa: F811
    for label, changelist in _changelists(rf, admin_user):
        choices = changelist.model_admin.get_action_choices(_request(rf, admin_user))
        ours, djangos = DrawnActionForm(auto_id=None), ActionForm(auto_id=None)
        ours.fields["action"].choices = djangos.fields["action"].choices = choices
        assert [_same(field) for field in ours] == [_same(field) for field in djangos], label
        assert [field.label for field in ours] == [field.label for field in djangos]


def _request(rf, user):
    request = rf.get("/admin/")
    request.user = user
    return request


def test_a_select_with_groups_or_a_choice_made_is_still_djangos():
    choices = [("", "---"), ("a", 'A "quoted" <one>'), ("Group", [("b", "B"), ("c", "C")])]
    for value in ("", "a", "b"):
        assert _same(DrawnSelect(choices=choices).render("x", value)) == _same(
            forms.Select(choices=choices).render("x", value))


def test_the_long_lists_offer_no_counts_the_others_do(admin_client):
    assert "Show counts" not in admin_client.get("/admin/sims/sim/").content.decode()
    assert "Show counts" in admin_client.get("/admin/axes/accesslog/").content.decode()  # a list of Django's own


def test_a_states_badge_is_its_own_kinds_though_another_kind_has_a_state_of_that_value():
    from common.admin import badge_of
    from sims.lifecycle import RequestState, SimState

    assert SimState.PENDING == RequestState.PENDING  # both "pending": equal as strings, not as states
    for _ in range(2):  # drawn, then kept
        assert badge_of(SimState.PENDING) == '<span class="badge badge-blue">Activating</span>'
        assert badge_of(RequestState.PENDING) == '<span class="badge badge-blue">In progress</span>'


def test_a_long_lists_scripts_and_style_sheets_are_djangos_drawn_once(admin_client):
    from django.urls import reverse

    from common.admin import DrawnMedia, LongList

    longs = [(model, model_admin) for model, model_admin in django.contrib.admin.site._registry.items()
             if isinstance(model_admin, LongList)]
    assert len(longs) >= 5
    for model, model_admin in longs:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        expected = model_admin.media + model_admin.action_form(auto_id=None).media  # as changelist_view adds them
        for _ in range(2):  # drawn, then kept
            response = admin_client.get(url)
            page = response.content.decode()
            assert isinstance(response.context["media"], DrawnMedia), url
            assert str(expected["css"]) in page and str(expected["js"]) in page, url
            assert str(response.context["media"]) == str(expected), url
