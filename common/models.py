"""What every worker pass shares: when each kind last finished."""

from django.db import models


class Heartbeat(models.Model):
    """When a worker last finished a pass of a kind: the dashboard warns when it is too long ago."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    class Meta:
        db_table = "sims_heartbeat"  # made by the sims app before the model moved here; the table stayed

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
