"""Django admin's list of apps (the index and the navigation sidebar), drawn by
common.templatetags.admin_apps, is the markup of Django's own admin/app_list.html: for a superuser
and for an Admin who may only view some models, on the index (with change links) and in a list's
sidebar (the current model marked)."""

import re
from pathlib import Path

import django.contrib.admin
import pytest
from django.contrib import admin
from django.template import Context, Engine

from common.templatetags.admin_apps import app_list
from tests.conftest import member_of

pytestmark = pytest.mark.django_db

DJANGOS = Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(
    (Path(django.contrib.admin.__file__).parent / "templates/admin/app_list.html").read_text())


def _same(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("path", ["/admin/", "/admin/sims/sim/", "/admin/sims/sim/12/change/"])
@pytest.mark.parametrize("show_changelinks", [True, False])
def test_the_app_list_is_djangos_markup(rf, admin_user, path, show_changelinks):
    for user in (admin_user, member_of("Admin", "ada")):
        request = rf.get(path)
        request.user = user
        apps = admin.site.get_app_list(request)
        assert any(app["app_label"] == "sims" for app in apps)
        djangos = DJANGOS.render(Context({"app_list": apps, "request": request, "show_changelinks": show_changelinks}))
        assert _same(app_list(apps, path, show_changelinks)) == _same(djangos)
        assert app_list(list(apps), path, show_changelinks) == app_list(apps, path, show_changelinks)  # kept or not


def test_nothing_to_see_says_so():
    assert "permission to view or edit anything" in app_list([], "/admin/")


def test_the_kept_app_list_follows_the_users_permissions(rf):
    from django.contrib.auth.models import Permission

    user = member_of("Admin", "ada")

    def models_seen() -> set[str]:
        request = rf.get("/admin/")
        request.user = type(user).objects.get(pk=user.pk)  # a new request: permissions read afresh
        return {model["object_name"] for app in admin.site.get_app_list(request) for model in app["models"]}

    seen = models_seen()
    assert seen == models_seen()  # kept
    user.groups.clear()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_sim", "use_admin"]))
    assert models_seen() == {"Sim"}  # what the user may now see, not what was kept
    assert "Sim" in seen and len(seen) > 1
