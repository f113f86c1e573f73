"""Create the worker's schedules (polling every minute, drift every ten), one of each."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from sims.tasks import ensure_schedules

    ensure_schedules(apps.get_model("django_q", "Schedule"))


class Migration(migrations.Migration):
    dependencies = [
        ("sims", "0002_worker"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
