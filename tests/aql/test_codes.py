"""aql.codes holds every code the spec documents, each in staff's words."""

import re
from pathlib import Path

import pytest

from aql import codes
from aql.codes import Retry

SPEC = Path(__file__).resolve().parents[2] / "docs" / "spec" / "aql-usim-gateway.txt"


def spec_usim_codes() -> dict[int, str]:
    """The spec's own error-code table: `Errorcode Description` up to `Examples`."""
    table = SPEC.read_text().split("Errorcode Description", 1)[1].split("Examples", 1)[0]
    return {int(m[1]): m[2].strip() for m in re.finditer(r"^(\d{3,5}) (.+)$", table, re.M)}


def test_the_usim_table_holds_exactly_the_spec_codes_with_aqls_descriptions():
    spec = spec_usim_codes()
    assert len(spec) == 29
    assert {n: c.description for n, c in codes.USIM_CODES.items()} == spec


def test_the_despatch_table_holds_the_documented_result_codes():
    assert sorted(codes.DESPATCH_CODES) == [0, 1, 2, 3, 8, 9]


@pytest.mark.parametrize("code", list(codes.USIM_CODES.values()) + list(codes.DESPATCH_CODES.values()),
                         ids=str)
def test_every_code_has_a_message_for_staff_that_is_not_a_bare_number(code):
    assert len(code.message) >= 5 and not code.message.isdigit()


@pytest.mark.parametrize(("number", "field"), [
    (63001, "iccid"), (63007, "imei"), (63028, "subname"), (63029, "subaddress"), (63030, "subpostcode"),
    (63031, "subcontactno"), (63023, "services"), (63204, "geo_nos"), (63025, "id"),
])
def test_field_codes_name_the_field_they_concern(number, field):
    assert codes.usim(number).field == field


def test_retry_advice_follows_the_spec():
    assert (codes.usim(63027).retry, codes.usim(63027).retry_after) == (Retry.LATER, 300)
    assert codes.usim(63022).retry == Retry.POLL_AGAIN
    assert codes.usim(500).retry == Retry.BACKOFF
    assert codes.usim(63030).retry == Retry.NO


def test_an_undocumented_code_still_says_its_number():
    assert "12345" in codes.usim(12345).message
