"""Every role sees replacements in Django admin (the SIM pages show them to all already); resuming or
abandoning one there stays a Supervisor's (terminate_sim), as on the SIM page. Written out, as the
roles migration is (common/migrations/0003_roles.py)."""

from django.db import migrations

GIVEN = {role: ["sims.view_replacement"] for role in ("Observer", "Customer service", "Supervisor", "Admin")}


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
    dependencies = [
        ("sims", "0044_erased_reason_words"),
        ("common", "0003_roles"),
    ]

    operations = [migrations.RunPython(give, migrations.RunPython.noop)]
