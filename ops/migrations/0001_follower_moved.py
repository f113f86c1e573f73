"""The follower's task moved from common.worker to ops.worker: its schedule names the new path,
or a worker would fail to import the old one every minute."""

from django.db import migrations

OLD, NEW = "common.worker.follow_pass", "ops.worker.follow_pass"


def _move(apps, old: str, new: str) -> None:
    """Made idempotently (update_or_create, as 0005 made it): running it twice leaves one schedule."""
    schedule = apps.get_model("django_q", "Schedule")
    schedule.objects.filter(name=old).delete()
    schedule.objects.update_or_create(
        name=new, defaults={"func": new, "schedule_type": "I", "minutes": 1, "repeats": -1})


def moved(apps, schema_editor):
    _move(apps, OLD, NEW)


def moved_back(apps, schema_editor):
    _move(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("common", "0005_one_follower")]

    operations = [migrations.RunPython(moved, moved_back)]
