"""The worker's notification pass, every minute (notices.tasks.notify_pass), one schedule of it.

Written out here rather than imported: a migration must not change when the code does.
`Schedule.name` is not unique in django-q2, so update_or_create by name keeps it to one.
"""

from django.db import migrations

FUNC = "notices.tasks.notify_pass"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=FUNC, defaults={"func": FUNC, "schedule_type": "I", "minutes": 1, "repeats": -1})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=FUNC).delete()


class Migration(migrations.Migration):

    dependencies = [("notices", "0001_notices"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
