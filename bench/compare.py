"""Put two or more outputs of `measure.py` side by side, as a Markdown table for docs/BENCHMARKS.md.

    .venv/bin/python bench/compare.py var/bench-100000-sqlite.txt var/bench-100000-postgresql.txt
    .venv/bin/python bench/compare.py --all var/bench-1000000-*.txt

Each column is a file (named by its database); a row is an entry: median / p95 ms (queries,
and the milliseconds of one call spent in the database).
Without --all, only the entries over a target (100 ms median or 250 ms p95) in any file are
listed, slowest first.
"""

import argparse
import re
from pathlib import Path

ENTRY = re.compile(r"^(?P<label>\S.{71}) +(?P<median>[\d.]+) +(?P<p95>[\d.]+) +(?P<queries>\d+) +(?P<sql>[\d.]+)")
HEADING = re.compile(r"^(?P<section>Staff pages|Django admin|Worker, nothing due)\b")
SUMMARY = re.compile(r"^\d+ entries;")  # the list of slow entries that follows repeats them
DATABASE = re.compile(r"^database: (?P<name>\w+)")


def read(path: Path) -> tuple[str, dict[str, tuple[float, float, int, float]]]:
    """The database's name and each entry's (median, p95, queries, sql), by 'section: label'."""
    name, section, entries = path.stem, "", {}
    for line in path.read_text().splitlines():
        if found := DATABASE.match(line):
            name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(found["name"], found["name"])
        elif found := HEADING.match(line):
            section = found["section"]
        elif SUMMARY.match(line):
            section = ""
        elif section and (found := ENTRY.match(line)):
            key = f"{'admin: ' if section == 'Django admin' else ''}{found['label'].strip()}"
            entries[key] = (float(found["median"]), float(found["p95"]), int(found["queries"]), float(found["sql"]))
    return name, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--all", action="store_true", help="every entry, not only those over a target")
    args = parser.parse_args()
    runs = [read(path) for path in args.files]
    keys = list(dict.fromkeys(key for _, entries in runs for key in entries))

    def over(key: str) -> bool:
        return any(key in e and (e[key][0] > 100 or e[key][1] > 250) for _, e in runs)

    def worst(key: str) -> float:
        return max(e[key][0] for _, e in runs if key in e)

    shown = keys if args.all else sorted(filter(over, keys), key=worst, reverse=True)
    print("| entry | " + " | ".join(f"{name}: median / p95 ms (queries, sql ms)" for name, _ in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    for key in shown:
        cells = []
        for _, entries in runs:
            if key not in entries:
                cells.append("–")
                continue
            median, p95, queries, sql = entries[key]
            text = f"{median:,.0f} / {p95:,.0f} ({queries}, {sql:,.0f})"
            cells.append(f"**{text}**" if median > 100 or p95 > 250 else text)
        print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
