"""The worker's roll-up pass every ten minutes (reports.tasks.rollup), and who sees the reports:
Observers, Supervisors and Admins; staff activity, Supervisors and Admins. Customer service do the
work the reports count, and are not given them. Written out, as the roles migration is
(common/migrations/0003_roles.py): a migration must not change when the code does."""

from django.db import migrations

FUNC = "reports.tasks.rollup"
GIVEN = {"Observer": ["reports.view_reports"],
         "Supervisor": ["reports.view_reports", "reports.view_staff_activity"],
         "Admin": ["reports.view_reports", "reports.view_staff_activity"]}


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=FUNC, defaults={"func": FUNC, "schedule_type": "I", "minutes": 10, "repeats": -1})


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=FUNC).delete()


def give(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():  # permissions are made after migrations: make them now
        kept, config.models_module = getattr(config, "models_module", None), True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = kept
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GIVEN.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*[Permission.objects.get(content_type__app_label=p.split(".")[0],
                                                       codename=p.split(".")[1]) for p in perms])


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("django_q", "0018_task_success_index"), ("common", "0003_roles")]

    operations = [migrations.RunPython(schedule, unschedule), migrations.RunPython(give, migrations.RunPython.noop)]
