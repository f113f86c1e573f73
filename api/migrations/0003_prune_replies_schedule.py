from django.db import migrations


def schedule(apps, schema_editor):
    """The hourly pass that deletes answers kept past their day (api.tasks.replies_prune_pass)."""
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="api.tasks.replies_prune_pass",
        defaults={"func": "api.tasks.replies_prune_pass", "schedule_type": "I", "minutes": 60, "repeats": -1})


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="api.tasks.replies_prune_pass").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0002_roles_for_keys_and_webhooks"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
