"""Django admin's user pages with the door's two additions: changing someone's roles asks for one's
own second factor again if it is not recent, and an Admin can reset a locked-out colleague's factors."""

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from access import services
from access.decorators import second_factor_recent
from common.admin import StaffUserAdmin
from common.errors import REFUSALS, refusal_text

# Django admin's own sign-in form would skip the second factor: it sends to ours instead.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class DoorUserAdmin(StaffUserAdmin):
    actions = ["reset_second_factors"]

    @method_decorator(second_factor_recent)
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)

    @method_decorator(second_factor_recent)  # the actions (a reset) are posted to the list
    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changelist_view(request, *args, **kwargs)

    @admin.action(description="Reset the selected people's second factors (they enrol again at sign-in)",
                  permissions=["change"])
    def reset_second_factors(self, request: HttpRequest, queryset: QuerySet) -> None:
        for user in queryset:
            try:
                count = services.factors_reset(user=user, actor=request.user)
            except REFUSALS as exc:
                messages.error(request, f"{user.get_username()}: {refusal_text(exc)}")
            else:
                messages.success(request, f"{user.get_username()}: {count} factor(s) removed; they set up a new "
                                          "one at their next sign-in.")
