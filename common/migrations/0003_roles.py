"""The roles, as Django groups with permissions, and the named system account.

Written out here rather than imported: a migration must not change when the code does. The
README's role table says the same in words; tests/common/test_roles.py holds them together.
"""

from django.db import migrations

VIEW = ["sims.view_sim", "sims.view_gatewayrequest", "sims.view_simevent", "sims.view_geographicnumber",
        "orders.view_despatchorder", "orders.view_orderevent", "orders.view_product", "orders.view_stocklevel"]
DAILY = ["sims.provision_sim", "sims.see_personal_details", "orders.place_order"]
SUPERVISION = ["sims.terminate_sim", "sims.settle_request", "sims.erase_subscriber", "sims.add_sim",
               "sims.add_geographicnumber", "orders.change_product"]
ADMINISTRATION = ["common.use_admin", "sims.send_raw", "auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group", "common.view_auditevent",
                  "sims.view_subscriber", "sims.change_subscriber", "sims.change_geographicnumber",
                  "sims.delete_geographicnumber", "orders.change_despatchorder", "orders.add_product"]
ROLES = {
    "Observer": VIEW,
    "Customer service": VIEW + DAILY,
    "Supervisor": VIEW + DAILY + SUPERVISION,
    "Admin": VIEW + DAILY + SUPERVISION + ADMINISTRATION,
}
SYSTEM = "system"  # who the worker and an unattributed command line act as


def make_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made after migrations, by a signal: make them now, to give them to groups.
    for config in apps.get_app_configs():
        kept, config.models_module = getattr(config, "models_module", None), True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = kept
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=p.split(".")[0], codename=p.split(".")[1])
                  for p in perms]
        group.permissions.set(wanted)
    User = apps.get_model("auth", "User")
    taken = User.objects.filter(username=SYSTEM).exclude(password="!").first()
    if taken is not None:  # a person's account by that name: never turned into the system's
        raise RuntimeError(f"A user called {SYSTEM!r} exists: rename it, then migrate again.")
    system, _ = User.objects.get_or_create(username=SYSTEM, defaults={"first_name": "System", "password": "!"})
    system.is_superuser, system.is_staff, system.password = True, False, "!"  # "!": no password signs in
    system.save()


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0002_audit_event"),
        ("sims", "0008_permissions_and_event_actor_names"),
        ("orders", "0005_order_events_and_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(make_roles, migrations.RunPython.noop)]
