"""The roles gain what the API and webhooks need: a Supervisor manages webhook subscriptions (from
a key of theirs, or the admin), an Admin API keys and subscriptions in Django admin. Written out,
as the roles migration is (common/migrations/0003_roles.py)."""

from django.db import migrations

WEBHOOKS = ["hooks.view_subscription", "hooks.add_subscription", "hooks.change_subscription",
            "hooks.delete_subscription", "hooks.view_delivery"]
KEYS = ["api.view_apikey", "api.add_apikey", "api.change_apikey"]
GIVEN = {"Supervisor": WEBHOOKS, "Admin": WEBHOOKS + KEYS}


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
        ("api", "0001_keys"),
        ("hooks", "0001_initial"),
        ("common", "0003_roles"),
    ]

    operations = [migrations.RunPython(give, migrations.RunPython.noop)]
