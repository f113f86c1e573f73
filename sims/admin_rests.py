"""Django admin's part in numbers that rest before reuse (a mixin for the numbers' admin; sims/admin.py
is near its length): when each rests until, the resting ones as a filter, and ending a rest early
with a reason typed in the action bar, through the same service as the pool page."""

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from access.decorators import second_factor_recent
from common.admin import for_each
from common.outcomes import Outcome
from common.validators import phone_national
from sims import services
from sims.models import GeographicNumber


class RestReasonForm(ActionForm):
    """The action bar, with a box for why a rest ends early (the action refuses without one)."""

    reason = forms.CharField(label="Why (ending a rest)", required=False, max_length=500)


class RestingFilter(admin.SimpleListFilter):
    """Resting numbers: their own small index (number_resting)."""

    title, parameter_name = "rest", "resting"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Resting")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.resting() if self.value() == "yes" else queryset


class RestActions:
    """For GeographicNumberAdmin: "End the rest of the selected numbers", for those who manage the pool."""

    action_form = RestReasonForm
    actions = ("end_rest",)

    @method_decorator(second_factor_recent)  # ending a rest early: the second factor again if not recent
    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, extra_context)  # type: ignore[misc]

    def has_rest_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("sims.add_geographicnumber")

    @admin.action(description="End the rest of the selected numbers (type why in the box)", permissions=["rest"])
    def end_rest(self, request: HttpRequest, queryset: QuerySet[GeographicNumber]) -> None:
        reason = request.POST.get("reason", "")

        def end(number: GeographicNumber) -> Outcome:
            services.number_rest_end(number=number.number, actor=request.user, reason=reason)
            return Outcome.done("its rest was ended: anyone may have it now.")

        for_each(request, queryset, end, name=lambda n: phone_national(n.number))
