"""Reads of replacements (sims.models_replacements) that pages, services and the worker share."""

from django.db.models import Q

from sims.models import Replacement
from sims.models_replacements import HOLDING


def sim_replacement(*, sim_id: int) -> Replacement | None:
    """The replacement under way (running, waiting or stopped) that involves this SIM, old or new."""
    return (Replacement.objects.filter(Q(old_sim_id=sim_id) | Q(new_sim_id=sim_id), state__in=HOLDING)
            .select_related("old_sim", "new_sim", "number").first())


def sim_replacement_latest(*, sim_id: int) -> Replacement | None:
    """The latest replacement that involved this SIM, under way or finished (the SIM page shows it)."""
    return (Replacement.objects.filter(Q(old_sim_id=sim_id) | Q(new_sim_id=sim_id))
            .select_related("old_sim", "new_sim", "number").order_by("-created_at", "-id").first())
