"""Create the order and stock refresh schedules (every 10 and 15 minutes), one of each."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from common.worker import ensure_schedules
    from orders.tasks import SCHEDULES

    ensure_schedules(SCHEDULES, apps.get_model("django_q", "Schedule"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("sims", "0003_schedules"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
