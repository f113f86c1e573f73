"""Create the worker's schedules (polling every minute, drift every ten), one of each.

Written out here rather than imported: a migration must not change when the code does.
`Schedule.name` is not unique in django-q2, so update_or_create by name keeps it to one.
"""

from django.db import migrations

SCHEDULES = {"sims.tasks.poll_pass": 1, "sims.tasks.drift_pass": 10}  # task -> every so many minutes


def create_schedules(apps, schema_editor):
    schedule = apps.get_model("django_q", "Schedule")
    for func, minutes in SCHEDULES.items():
        schedule.objects.update_or_create(
            name=func, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1})


class Migration(migrations.Migration):
    dependencies = [
        ("sims", "0002_worker"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
