"""Field checks shared by services, forms, admin and the CLI. Each returns the value in the
form aql wants, or raises ValidationError with a message in staff's words. Phone numbers are
also shown from here (`phone_national`), so they are read one way and written one way."""

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from stdnum import imei as stdnum_imei
from stdnum import luhn

from aql.usim import SERVICES

# [0-9], never \d: Python's \d, str.isdigit() and int() also take other scripts' digits (full-width
# U+FF18, Arabic-Indic U+0668), which aql does not read and which would be kept beside the ASCII record.
POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# Characters that show nothing: controls, format characters (zero-width space, joiners, the
# right-to-left override U+202E, the byte-order mark), unassigned ones, and the "blank letters"
# Unicode files as letters or symbols (Hangul fillers, the braille blank).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp"})
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Bidirectional embeddings, overrides and isolates: inside a name they reorder how it is shown.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def only_ascii_digits(value: str, code: str) -> None:
    """Refuse digits of other scripts in what should be an identifier, saying which character it was."""
    foreign = [ch for ch in value or "" if ch.isnumeric() and not ch.isascii()]
    if foreign:
        raise ValidationError(f"Type the digits as 0 to 9: \u201c{foreign[0]}\u201d is a digit of another script "
                              "or keyboard (full-width or Arabic, say), which aql does not read.", code=code)


def clean_iccid(value: str, *, check_digit: bool = True) -> str:
    """19 or 20 digits 0-9 (spaces allowed when typed), the last one the Luhn check digit every ICCID
    ends with (ITU-T E.118), so a mistyped digit is caught here rather than by aql. `check_digit=False`
    for finding a SIM we already have (a record made before the check is still found)."""
    digits = re.sub(r"\s", "", value or "")
    only_ascii_digits(digits, "iccid")
    if not re.fullmatch(r"[0-9]{19,20}", digits):
        raise ValidationError("An ICCID is the 19 or 20 digits printed on the SIM card.", code="iccid")
    if check_digit and not luhn.is_valid(digits):
        raise ValidationError("An ICCID's last digit is a check on the others, and this one does not match: "
                              "a digit is mistyped. Check it against the card.", code="iccid")
    return digits


def clean_imei(value: str) -> str:
    """A handset's 15-digit IMEI, check digit included (python-stdnum)."""
    only_ascii_digits(value, "imei")  # stdnum would quietly turn a full-width 4 into "4"
    compact = stdnum_imei.compact(value or "")
    if len(compact) != 15 or not stdnum_imei.is_valid(compact):
        raise ValidationError("That IMEI is not valid: it should be the 15 digits shown by dialling *#06#.",
                              code="imei")
    return compact


def _parse_gb(value: str) -> phonenumbers.PhoneNumber | None:
    text = " ".join((value or "").split())
    if not text.isascii():  # phonenumbers reads full-width digits as 0-9: we take 0-9 only
        return None
    if text.isdigit() and text.startswith("44"):
        text = "+" + text  # aql writes numbers in international form without the plus
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    # UK numbers have 9 or 10 digits after the 0 (libphonenumber also admits short codes).
    if number.country_code != 44 or not 9 <= len(str(number.national_number)) <= 10:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return number


def _international(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164).lstrip("+")


@functools.lru_cache(maxsize=4096)  # the same pool numbers are drawn on every form and list
def phone_national(value: str) -> str:
    """A UK number as staff read and say it, from any way of writing it (aql's 447700900355 is
    "07700 900355"); anything else (a blank, an erased detail) is given back as it is."""
    number = _parse_gb(value)
    if number is None:
        return value
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    # aql's own example numbers (44113000043) are in no range libphonenumber knows as allocated,
    # and it would leave them bare ("113000043"): group them as it groups a number being typed.
    typing = phonenumbers.AsYouTypeFormatter("GB")
    shown = ""
    for digit in f"0{number.national_number}":
        shown = typing.input_digit(digit)
    return shown


def uk_number_prefix(value: str) -> str:
    """The start of a UK number, however typed, as the start of aql's form: "0113", "+44 (0)113"
    and "44113" are all "44113". Empty when it cannot be the start of a UK number."""
    text = re.sub(r"[\s().-]", "", value or "")
    # after the country code a trunk 0 may be written too: "+44 (0)113"
    match = re.fullmatch(r"(?:\+44|0044|44)0?([0-9]*)|0([0-9]*)", text)
    return f"44{match[1] or match[2] or ''}" if match else ""


def clean_geographic_number(value: str) -> str:
    """A UK landline (01… or 02…) in aql's international form, e.g. 44113000000.

    phonenumbers' full validity check is too strict here: aql's own example 44113000000 is a
    possible UK number but not in a range the library knows as allocated.
    """
    only_ascii_digits(value, "number")
    number = _parse_gb(value)
    if number is None or str(number.national_number)[0] not in "12":
        raise ValidationError("Enter a UK landline number, like 0113 496 0000 or 441134960000.", code="number")
    return _international(number)


def clean_contact_number(value: str) -> str:
    """Any UK phone number the subscriber can be reached on, in international form."""
    only_ascii_digits(value, "contact_number")
    number = _parse_gb(value)
    if number is None:
        raise ValidationError("Enter a UK phone number, like 0113 320 3040 or 441133203040.",
                              code="contact_number")
    return _international(number)


def clean_postcode(value: str) -> str:
    """A UK postcode, upper case with its space: LS101JQ becomes LS10 1JQ."""
    only_ascii_digits(value, "postcode")
    match = POSTCODE_RE.match(re.sub(r"\s+", " ", (value or "").strip().upper()))
    if not match:
        raise ValidationError("Enter a UK postcode, like LS10 1JQ.", code="postcode")
    return f"{match[1]} {match[2]}"


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in INVISIBLE_CATEGORIES or ch in BLANK_LETTERS


def _trimmed(value: str) -> str:
    """`value` on one line, its spaces tidied and what shows nothing cut from its ends."""
    text = " ".join((value or "").split())
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def _shown(value: str, text: str, code: str, what: str) -> str:
    """`text` (`value` trimmed), refused when nothing visible is left of what was typed, or when it
    holds controls or right-to-left overrides, which change how it reads on aql's side and on ours."""
    if value and value.strip() and not text:
        raise ValidationError(f"The {what} is made only of characters that do not show (zero-width or "
                              "direction marks): type it in letters.", code=code)
    if any(unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS for ch in text):
        raise ValidationError(f"The {what} holds a hidden control character (a right-to-left override, "
                              "say), which changes how it reads: type it again without it.", code=code)
    return text


def visible_text(value: str, code: str, what: str) -> str:
    """A name-like field on one line, without the invisible characters a paste brings at its ends (a
    zero-width space); refused when only invisible characters were typed (see `_shown`)."""
    return _shown(value, _trimmed(value), code, what)


def clean_name(value: str) -> str:
    """The subscriber's name: letters, spaces, hyphens and apostrophes, up to 100."""
    name = visible_text(value, "name", "name")
    if not name or len(name) > 100 or any(ch.isnumeric() for ch in name):
        raise ValidationError("Enter the subscriber's name in letters (up to 100).", code="name")
    return name


def clean_address(value: str) -> str:
    """The subscriber's address, on one line, up to 200 characters."""
    lines = (_trimmed(line) for line in (value or "").splitlines())
    address = _shown(value, ", ".join(line for line in lines if line), "address", "address")
    if not address or len(address) > 200:
        raise ValidationError("Enter the subscriber's address (up to 200 characters).", code="address")
    return address


def clean_services(values: list[str]) -> list[str]:
    """At least one of aql's six services, each once, in aql's order."""
    unknown = sorted(set(values) - set(SERVICES))
    if unknown:
        raise ValidationError(f"Unknown service: {', '.join(unknown)}.", code="services")
    if not values:
        raise ValidationError("Choose at least one service.", code="services")
    return [s for s in SERVICES if s in values]


def clean_company(value: str) -> str:
    """A company name, which may be left empty (a private customer), up to 100 characters."""
    company = visible_text(value, "company", "company name")
    if len(company) > 100:
        raise ValidationError("Keep the company name to 100 characters.", code="company")
    return company


def field(name: str, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`check(*args, **kwargs)`, its refusal said as being about the input `name` (an API's field)."""
    try:
        return check(*args, **kwargs)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


def clean_all(**fields: tuple[Callable[[Any], Any], Any]) -> dict[str, Any]:
    """Run each field's check; raise one ValidationError naming every bad field at once."""
    clean, errors = {}, {}
    for name, (check, value) in fields.items():
        try:
            clean[name] = check(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean
