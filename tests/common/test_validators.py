"""Field checks: the spec's own example values pass, staff's usual typing is accepted."""

import pytest
from django.core.exceptions import ValidationError

from common import validators as v
from common.templatetags.words import personal, phone


@pytest.mark.parametrize(("check", "typed", "sent"), [
    (v.clean_geographic_number, "44113000000", "44113000000"),  # the spec's activate example
    (v.clean_geographic_number, "0113 496 0000", "441134960000"),
    (v.clean_geographic_number, "+44 20 7946 0000", "442079460000"),
    (v.clean_contact_number, "441133203040", "441133203040"),  # the spec's example
    (v.clean_contact_number, "07700 900123", "447700900123"),
    (v.clean_postcode, "LS101JQ", "LS10 1JQ"),  # the spec's example
    (v.clean_postcode, " ls10  1jq ", "LS10 1JQ"),
    (v.clean_imei, "49-015420-323751-8", "490154203237518"),
    (v.clean_iccid, "8944 1200 0000 0000 006", "8944120000000000006"),
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
    (v.clean_iccid, "1111111111000000001"),  # the spec's example: its last digit fails the Luhn check
    (v.clean_iccid, "８９４４１２００００００００００００６"),  # full-width digits
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


# --- phone numbers: kept in aql's form, shown in the UK's, read however typed ----------------------

@pytest.mark.parametrize(("kept", "shown"), [
    ("441130000043", "0113 000 0043"),  # a Leeds number as the phone book writes it
    ("44113000043", "0113 000 043"),  # aql's own examples are a digit short: grouped as they would be typed
    ("447700900355", "07700 900355"),
    ("442079460000", "020 7946 0000"),
    ("", ""),  # an erased contact number stays blank
    ("(erased)", "(erased)"),
])
def test_a_number_is_shown_in_the_uk_national_form(kept, shown):
    assert v.phone_national(kept) == shown


@pytest.mark.parametrize("kept", ["441130000043", "44113000043", "442079460000"])
def test_a_shown_number_typed_back_is_the_number_kept(kept):
    assert v.clean_geographic_number(v.phone_national(kept)) == kept


@pytest.mark.parametrize("typed", ["0113 000 0043", "01130000043", "+44 113 000 0043", "441130000043",
                                   "+44 (0)113 000 0043", "+44-113-000-0043", "(0113) 000 0043", "0044 113 000 0043",
                                   "44 113 000 0043", " 0113.000.0043 "])
def test_a_landline_is_read_however_it_is_written(typed):
    assert v.clean_geographic_number(typed) == "441130000043"


@pytest.mark.parametrize("typed", ["07700 900355", "07700900355", "+44 7700 900355", "447700900355",
                                   "+44 (0)7700 900 355", "07700-900-355"])
def test_a_contact_number_is_read_however_it_is_written(typed):
    assert v.clean_contact_number(typed) == "447700900355"


@pytest.mark.parametrize(("typed", "kept_start"), [
    ("0113", "44113"), ("0113 00", "4411300"), ("+44 113", "44113"), ("+44 (0)113 0", "441130"),
    ("44113", "44113"), ("0044 113", "44113"), ("(0113) 49", "4411349"), ("0113-000-005", "44113000005"),
    ("113", ""), ("Leeds", ""), ("+33 1", ""),  # not the start of a UK number
])
def test_the_start_of_a_number_is_read_as_the_start_of_aqls_form(typed, kept_start):
    assert v.uk_number_prefix(typed) == kept_start


def test_the_phone_filter_shows_a_contact_number_nationally_and_masks_it_for_an_observer():
    observer, agent = ({"sims": {"see_personal_details": may}} for may in (False, True))
    assert personal(phone("447700900355"), agent) == "07700 900355"
    assert personal(phone("447700900355"), observer) == "•••••••••355"  # the last three characters only
    assert phone(None) == ""
