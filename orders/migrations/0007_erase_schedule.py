"""The daily erasure of recipients of orders that never became SIMs (it does nothing unless
PERSONAL_DATA_RETENTION_DAYS is set). Written out here rather than imported."""

from django.db import migrations


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="orders.tasks.erase_expired_pass",
        defaults={"func": "orders.tasks.erase_expired_pass", "schedule_type": "I", "minutes": 24 * 60, "repeats": -1})


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_actor_names"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
