"""Create the worker's schedules (polling every minute, drift every ten), one of each."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from common.worker import ensure_schedules
    from sims.tasks import SCHEDULES

    ensure_schedules(SCHEDULES, apps.get_model("django_q", "Schedule"))


class Migration(migrations.Migration):
    dependencies = [
        ("sims", "0002_worker"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
