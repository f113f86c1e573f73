"""Field checks: the spec's own example values pass, staff's usual typing is accepted."""

import pytest
from django.core.exceptions import ValidationError

from common import validators as v


@pytest.mark.parametrize(("check", "typed", "sent"), [
    (v.clean_geographic_number, "44113000000", "44113000000"),  # the spec's activate example
    (v.clean_geographic_number, "0113 496 0000", "441134960000"),
    (v.clean_geographic_number, "+44 20 7946 0000", "442079460000"),
    (v.clean_contact_number, "441133203040", "441133203040"),  # the spec's example
    (v.clean_contact_number, "07700 900123", "447700900123"),
    (v.clean_postcode, "LS101JQ", "LS10 1JQ"),  # the spec's example
    (v.clean_postcode, " ls10  1jq ", "LS10 1JQ"),
    (v.clean_imei, "49-015420-323751-8", "490154203237518"),
    (v.clean_iccid, "1111 1111 1100 0000 001", "1111111111000000001"),
    (v.clean_name, "  My   Name ", "My Name"),
    (v.clean_address, "11 – 15 Hunslet Road\nLeeds\n", "11 – 15 Hunslet Road, Leeds"),
    (v.clean_services, ["mt_sms", "int_roaming"], ["int_roaming", "mt_sms"]),
])
def test_good_values_are_put_in_the_form_aql_wants(check, typed, sent):
    assert check(typed) == sent


@pytest.mark.parametrize(("check", "typed"), [
    (v.clean_geographic_number, "07700900123"),  # a mobile is not a landline
    (v.clean_geographic_number, "12345"),
    (v.clean_geographic_number, "+33 1 23 45 67 89"),
    (v.clean_contact_number, "999"),
    (v.clean_postcode, "LS10"),
    (v.clean_imei, "490154203237519"),  # check digit wrong
    (v.clean_imei, "4901542032375"),
    (v.clean_iccid, "89441234"),
    (v.clean_name, "R2D2"),
    (v.clean_name, ""),
    (v.clean_address, " \n "),
    (v.clean_services, []),
    (v.clean_services, ["teleport"]),
])
def test_bad_values_are_refused_in_staff_words(check, typed):
    with pytest.raises(ValidationError) as caught:
        check(typed)
    assert caught.value.messages[0].endswith(".")
