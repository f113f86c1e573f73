"""The database's cache table (settings.CACHES["shared"]: the API's rate, counted by every process
together), made where migrate runs: the demo, the tests and production. createcachetable makes
only what is missing, and nothing when CACHE_URL names Redis."""

from django.core.management import call_command
from django.db import migrations


def make_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("api", "0003_prune_replies_schedule")]

    operations = [migrations.RunPython(make_cache_table, migrations.RunPython.noop)]
