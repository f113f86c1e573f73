"""The template tags written out for speed say exactly what the template engine said: a time as the
date filter formats it, a SIM's link as reverse() makes it, a badge as the include drew it."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from common.templatetags.words import badge, iccid_link, when
from tests.conftest import iccid

MOMENTS = [datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC),  # the hour before summer time begins
           datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
           datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2027, 1, 5, 9, 5, tzinfo=UTC)]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("shown", ["j M Y H:i", "j M H:i", "j M Y H:i:s"])
def test_a_time_is_written_as_the_date_filter_wrote_it(moment, shown):
    engine = Template('<time datetime="{{ m|date:\'c\' }}">{{ m|date:shown }}</time>')
    with timezone.override("Europe/London"):
        assert when(moment, shown) == engine.render(Context({"m": moment, "shown": shown}))


def test_no_time_is_nothing():
    assert when(None) == ""


def test_a_sims_link_is_its_address():
    address = reverse("sims:sim_detail", args=[iccid(7)])
    assert iccid_link(iccid(7)) == f'<a class="mono" href="{address}">{iccid(7)}</a>'
    assert "href" not in iccid_link("٨٩٤٤" + iccid(7)[4:]) and "not a valid ICCID" in iccid_link("12")


def test_a_badge_escapes_its_words():
    assert badge("<b>", "red") == '<span class="badge badge-red">&lt;b&gt;</span>'
