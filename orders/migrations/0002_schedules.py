"""Create the order and stock refresh schedules (every 10 and 15 minutes), one of each."""

from django.db import migrations


def create_schedules(apps, schema_editor):
    from orders.tasks import SCHEDULES
    from sims.tasks import ensure_schedules

    ensure_schedules(apps.get_model("django_q", "Schedule"), SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("sims", "0003_schedules"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
