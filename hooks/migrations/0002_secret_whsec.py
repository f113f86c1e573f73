"""Secrets in the Standard Webhooks form: each subscription made before keeps its key, the bytes of
the secret the integrator was given (or gave), now written `whsec_` and their base64. Its
deliveries are then signed as every other's; the integrator makes the same whsec_ form of the
secret they hold (the README says how), as they cannot be shown it again."""

import base64

from django.db import migrations, models

PREFIX = "whsec_"  # as hooks.signing (a migration keeps its own copy: the module may change)


def to_whsec(apps, schema_editor):
    Subscription = apps.get_model("hooks", "Subscription")
    for sub in Subscription.objects.only("pk", "secret").iterator():
        # Every secret before this migration was plain text (its bytes the key), whatever it begins with.
        sub.secret = PREFIX + base64.b64encode(sub.secret.encode()).decode()
        sub.save(update_fields=["secret"])


def to_plain(apps, schema_editor):
    Subscription = apps.get_model("hooks", "Subscription")
    for sub in Subscription.objects.only("pk", "secret").iterator():
        key = base64.b64decode(sub.secret.removeprefix(PREFIX))
        try:  # made since (random bytes): not text, so not signable the old way; left as it is
            sub.secret = key.decode()
        except UnicodeDecodeError:
            continue
        sub.save(update_fields=["secret"])


class Migration(migrations.Migration):

    dependencies = [
        ("hooks", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription",
            name="secret",
            field=models.CharField(editable=False, max_length=600),
        ),
        migrations.RunPython(to_whsec, to_plain),
    ]
