"""Every command the README shows runs as written, in order, against the aql simulator.

Each line of a ```bash block that starts `.venv/bin/python manage.py` is run in this process
with `call_command`, as an operator would type it, and must exit 0. aql finishes at once and
the worker's pass runs after each command, so a two-step command is settled before the next,
as the README's sentence about waiting for the worker says. Any other line of a bash block is
skipped only by a rule in SKIPPED, with why; a line no rule explains fails the test.
"""

import re
import shlex
from pathlib import Path

import pytest

from sims import tasks
from sims.lifecycle import RequestState, SimState
from sims.models import Sim
from sims.models_replacements import Replacement, ReplacementState
from tests.conftest import manage, member_of

README = Path(__file__).resolve().parents[2] / "README.md"
MANAGE = [".venv/bin/python", "manage.py"]

# Lines of bash blocks that are not run here, each by a rule (a regular expression, matched
# against the command without its comment) with why.
SKIPPED = {
    r"^make (demo|test)$": "`make demo` runs until Ctrl-C; `make test` is this suite",
    r"^DATABASE_URL=postgres://": "needs a PostgreSQL server",
    r"^export ": "the test gives the commands its own database and simulator",
    r"manage\.py aqlsim ": "the test serves its own simulator",
    r"manage\.py createsuperuser ": "the test makes its own admin, in the Admin role",
    r"^sudo ": "needs root on a server: systemd units, PostgreSQL's own account",
    r"^python3 -m venv ": "makes a new virtual environment: this suite runs in one",
    r"^\.venv/bin/pip install \.$": "installs the release: this suite runs from it",
    r"^set -a ": "reads the production environment file",
    r"^pg_(dump|restore) ": "needs a PostgreSQL server",
    r"manage\.py collectstatic ": "writes staticfiles/; tests/site/test_deploy.py holds production's static files",
    r"manage\.py golive$": "a test deployment is not ready to go live (development settings, no worker, no "
                           "metrics token), so it exits 1 here by design; tests/ops/test_golive.py runs it",
}


def readme_lines(text: str) -> list[tuple[int, str]]:
    """Each line of every ```bash block (`\\` continuations joined), with its line number in the README."""
    lines: list[tuple[int, str]] = []
    for block in re.finditer(r"^```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        first = text.count("\n", 0, block.start(1)) + 1
        pending: tuple[int, str] | None = None
        for offset, raw in enumerate(block.group(1).splitlines()):
            number, line = pending or (first + offset, "")
            line += raw.strip()
            if line.endswith("\\"):
                pending = (number, line[:-1].rstrip() + " ")
                continue
            pending = None
            if line:
                lines.append((number, line))
    return lines


def commands(text: str) -> tuple[list[tuple[int, str, list[str]]], set[str]]:
    """The manage.py commands to run (line number, line, arguments) and the skip rules used.
    A line that is neither a manage.py command nor skipped by a rule fails here."""
    runs, used = [], set()
    for number, line in readme_lines(text):
        words = shlex.split(line, comments=True)  # drops a trailing "# comment"
        rule = next((rule for rule in SKIPPED if re.search(rule, " ".join(words))), None)
        if rule:
            used.add(rule)
            continue
        assert words[:2] == MANAGE, f"README line {number} is not a manage.py command and no rule skips it: {line}"
        runs.append((number, line, words[2:]))
    return runs, used


@pytest.fixture
def readme_world(aql_settings, db, settings):
    """An empty database and a fresh simulator that finish every request at once, as the README
    starts from: its own commands fill the pool and record the SIMs."""
    settings.AQL_MAX_CONCURRENCY = 1  # the worker's steps run in this thread, inside the test's transaction
    settings.AQL_FIRST_POLL_DELAY = 0
    aql_settings.fake.faults.settle_after = 0
    aql_settings.fake.faults.despatch_after = 0
    return aql_settings


def run_all(text: str) -> None:
    """Run the README's commands in order, each followed by a worker pass; fail naming the first
    line that does not exit 0."""
    runs, _ = commands(text)
    assert runs, "no manage.py commands found in the README"
    for username in {args[args.index("--user") + 1] for _, _, args in runs if "--user" in args}:
        member_of("Admin", username)  # as `make demo`'s admin may do everything
    for number, line, args in runs:
        status, out = manage(*args)
        assert status == 0, f"README line {number} exited {status}: {line}\n{out}"
        tasks.poll_pass()  # as the running worker would, between one command and the next


def test_every_command_in_the_readme_runs_and_exits_0(readme_world):
    run_all(README.read_text())


def test_the_readmes_replacement_moves_the_number_to_the_new_sim_before_it_is_terminated(readme_world):
    run_all(README.read_text())
    old, new = Sim.objects.get(iccid="8944120000000000006"), Sim.objects.get(iccid="8944120000000000014")
    replacement = Replacement.objects.get()
    assert (replacement.old_sim, replacement.new_sim, replacement.state) == (old, new, ReplacementState.DONE)
    assert replacement.number.number == "44113000001"  # the subscriber's, after their number change
    assert old.state == new.state == SimState.TERMINATED  # the old by the replacement, the new by the last line
    steps = ("activate", "addservice", "removeservice", "changegeo", "deactivate")  # the last: the README's own
    assert list(new.requests.order_by("pk").values_list("command", "state")) == [
        (command, RequestState.SUCCESS) for command in steps]
    assert old.requests.filter(command="changegeo", params__new_geo_nos=replacement.old_stand_in.number).exists()


def test_every_skip_rule_is_still_needed():
    _, used = commands(README.read_text())
    assert set(SKIPPED) == used, f"rules that skip no README line: {sorted(set(SKIPPED) - used)}"


def test_a_broken_command_in_the_readme_fails_naming_its_line(readme_world):
    text = README.read_text()
    number = text[:text.index("manage.py sim query ")].count("\n") + 1
    with pytest.raises(AssertionError, match=rf"README line {number} exited 1: .*manage\.py sim qurey "):
        run_all(text.replace("manage.py sim query ", "manage.py sim qurey ", 1))


def test_a_line_that_is_not_a_manage_py_command_fails():
    with pytest.raises(AssertionError, match=r"README line 2 is not a manage\.py command"):
        commands("```bash\npython manage.py sim show 1\n```\n")


def test_continuations_are_joined_and_comments_dropped():
    text = "x\n```bash\n.venv/bin/python manage.py sim add \\\n    1111111111000000001   # a SIM\n```\n"
    runs, _ = commands(text)
    assert runs == [(3, ".venv/bin/python manage.py sim add 1111111111000000001   # a SIM",
                     ["sim", "add", "1111111111000000001"])]
