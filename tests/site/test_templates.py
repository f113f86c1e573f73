"""The templates themselves: what Django would print on the page instead of reading."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Django's {# … #} ends on its own line; one left open is printed on the page as it was written.
OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def test_no_template_comment_runs_over_more_than_one_line():
    """A comment of several lines is {% comment %}: a {# left open at its line's end reaches the page."""
    open_left = [f"{path.relative_to(TEMPLATES)}:{text[:match.start()].count(chr(10)) + 1}"
                 for path in sorted(TEMPLATES.rglob("*.html")) for text in [path.read_text()]
                 for match in OPEN_COMMENT.finditer(text)]
    assert open_left == []
