"""On PostgreSQL, the SIMs-per-state counters are kept per statement rather than per row: one
upsert of the net change per state for a whole INSERT, UPDATE or DELETE (a bulk load of a
million SIMs is one GROUP BY, not a million updates of the same few rows, which PostgreSQL
would make ever slower as each row's versions pile up in the transaction). A statement that
changes no state touches no counter, so SIMs saved at once do not queue on the counter rows.
SQLite keeps 0012's row triggers: it updates rows in place, and they fire only on a change.
"""

import importlib

from django.db import migrations

COUNT = "sims_simstatecount"


def net(*parts: str) -> str:
    changes = " UNION ALL ".join(parts)
    return (f"INSERT INTO {COUNT} (state, count) SELECT state, SUM(d) FROM ({changes}) AS c GROUP BY state "
            f"HAVING SUM(d) <> 0 ON CONFLICT (state) DO UPDATE SET count = {COUNT}.count + EXCLUDED.count;")


ADDED, REMOVED = "SELECT state, 1 AS d FROM new_rows", "SELECT state, -1 AS d FROM old_rows"
FUNCTIONS = {"insert": net(ADDED), "update": net(ADDED, REMOVED), "delete": net(REMOVED)}
TABLES = {"insert": "NEW TABLE AS new_rows", "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
          "delete": "OLD TABLE AS old_rows"}


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER sim_count_insert_delete ON sims_sim")
    schema_editor.execute("DROP TRIGGER sim_count_update ON sims_sim")
    schema_editor.execute("DROP FUNCTION sim_count()")
    for op, body in FUNCTIONS.items():
        schema_editor.execute(f"CREATE FUNCTION sim_count_{op}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                              f"BEGIN {body} RETURN NULL; END $$;")
        schema_editor.execute(f"CREATE TRIGGER sim_count_{op} AFTER {op.upper()} ON sims_sim "
                              f"REFERENCING {TABLES[op]} FOR EACH STATEMENT EXECUTE FUNCTION sim_count_{op}();")


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for op in FUNCTIONS:
        schema_editor.execute(f"DROP TRIGGER sim_count_{op} ON sims_sim")
        schema_editor.execute(f"DROP FUNCTION sim_count_{op}()")
    previous = importlib.import_module("sims.migrations.0012_state_counts")
    for sql in previous.POSTGRESQL:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("sims", "0016_number_on_sim")]

    operations = [migrations.RunPython(per_statement, per_row)]
