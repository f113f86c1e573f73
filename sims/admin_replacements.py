"""Django admin's view of replacements (a SIM replaced by another that keeps its number): history to
read, with where each stands in words, and a Supervisor's resume and abandon through the same
services as the SIM page."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import ReadOnlyAdmin, badge, for_each
from common.outcomes import Outcome
from sims import services
from sims.models import Replacement
from sims.selectors_replacements import replacement_said
from sims.services.replacements import SUPERVISE_PERMISSION


@admin.register(Replacement)
class ReplacementAdmin(ReadOnlyAdmin):
    """Each replacement, its SIMs, the number it keeps and where it stands; resume or abandon."""

    list_display = ("id", "created_at", "old_iccid", "new_iccid", "number", "plan", "state_badge", "actor_name")
    list_filter = ("state", "plan")
    list_select_related = ("old_sim", "new_sim", "number")
    search_fields = ("=old_sim__iccid", "=new_sim__iccid", "=number__number")
    readonly_fields = ("said",)
    raw_id_fields = ("old_sim", "new_sim", "number", "new_stand_in", "old_stand_in", "waiting_behind", "actor")
    actions = ("resume", "abandon")

    @admin.display(description="old SIM")
    def old_iccid(self, replacement: Replacement) -> str:
        return replacement.old_sim.iccid

    @admin.display(description="new SIM")
    def new_iccid(self, replacement: Replacement) -> str:
        return replacement.new_sim.iccid

    @admin.display(description="state", ordering="state")
    def state_badge(self, replacement: Replacement) -> str:
        return badge(replacement.get_state_display(), replacement.colour)

    @admin.display(description="where it stands")
    def said(self, replacement: Replacement) -> str:
        return replacement_said(replacement)

    def has_supervise_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SUPERVISE_PERMISSION)

    def _each(self, request: HttpRequest, queryset: QuerySet[Replacement], act, done: str) -> None:
        def run(replacement: Replacement) -> Outcome:
            act(replacement_id=replacement.pk, actor=request.user)
            return Outcome.done(done)
        for_each(request, queryset, run, name=lambda r: f"Replacement {r.pk}")

    @admin.action(description="Resume the selected stopped replacements (send the step again)",
                  permissions=["supervise"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Replacement]) -> None:
        self._each(request, queryset, services.replacement_resume, "resumed: its step is sent again.")

    @admin.action(description="Abandon the selected replacements (nothing more is sent)", permissions=["supervise"])
    def abandon(self, request: HttpRequest, queryset: QuerySet[Replacement]) -> None:
        self._each(request, queryset, services.replacement_abandon, "abandoned.")
