"""The number pool's queries, in a module of their own (sims/models.py is near its length)."""

from django.db import models
from django.db.models import Q

# Free to give out: on no SIM, held for no command in flight, and not resting. The free numbers'
# partial index (number_free) has this very condition: SQLite uses a partial index only for a query
# that implies it, and a condition cannot hold now(), so a rest that is over is cleared by the
# worker's ten-minute pass (sims.services.rests), never compared with the time here.
FREE = Q(on_sim=False, held_by__isnull=True, rests_until__isnull=True)


class NumberQuerySet(models.QuerySet):
    def available(self) -> "NumberQuerySet":
        """Free to give out (`FREE`): a walk of a small partial index, however many numbers are in use
        or resting."""
        return self.filter(FREE)

    def in_use(self) -> "NumberQuerySet":
        """On a SIM, or held for a command in flight that gives it to one (a resting number is neither)."""
        return self.exclude(on_sim=False, held_by__isnull=True)

    def resting(self) -> "NumberQuerySet":
        """Freed from a subscriber's SIM and resting (or its rest just over, not yet cleared)."""
        return self.filter(rests_until__isnull=False)
