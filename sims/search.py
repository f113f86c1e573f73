"""Finding SIMs by what staff type in one box: an ICCID or its last digits, a number, a name, a
postcode or its first half, or a name with a postcode. Each way is an index lookup, never a walk."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from common.search import TRIGRAM, contains_q, postcode_start, prefix_q
from common.validators import clean_geographic_number
from sims.models import GeographicNumber, Subscriber

NAME_MATCHES = 200  # subscribers a name search looks at, at most


def sim_search_q(term: str, *, by_person: bool = True) -> Q:
    """Find SIMs by ICCID (whole or its last digits), geographic number, subscriber name or postcode.

    Each branch is a condition on an indexed column of the SIM itself, so the database never
    walks a million SIMs: the last digits of an ICCID are a prefix of the reversed ICCID,
    asked as a range (LIKE 'x%' uses no index on SQLite's default collation, nor on
    PostgreSQL's outside the C locale); a number or a subscriber is looked up in its own
    table first and matched by id.
    """
    term = " ".join(term.split())
    digits = term.replace(" ", "")
    if search_hint(term):  # too few digits to mean one SIM: a tenth of every SIM would match one
        return Q(pk__in=[])
    by_number = _number_q(term)
    if digits.isascii() and digits.isdigit():
        q = digit_prefix_q("iccid_reversed", digits[::-1])
        return q | by_number if by_number else q
    if by_number:  # "+44 (0)113 …" is a number, not a name
        return by_number
    if not by_person:  # one who may not see a subscriber's details may not find SIMs by them either
        return Q(pk__in=[])
    return Q(subscriber_id__in=_people(term).values("pk")[:NAME_MATCHES])


def _people(term: str) -> QuerySet[Subscriber]:
    """The people a search looks at, and one more (to say when there are more): NAME_MATCHES + 1 at most."""
    return Subscriber.objects.filter(_person_q(term, at_most=NAME_MATCHES + 1)).order_by()


def search_cut_short(term: str, *, by_person: bool = True) -> bool:
    """Whether a search by name or postcode matched more people than a search looks at (NAME_MATCHES),
    so the list shows some of their SIMs only: the page says so rather than pass it off as all."""
    term = " ".join(term.split())
    digits = term.replace(" ", "")
    if not term or not by_person or search_hint(term) or (digits.isascii() and digits.isdigit()):
        return False
    try:
        clean_geographic_number(term)
        return False  # a number, not a person
    except ValidationError:
        return _people(term)[NAME_MATCHES:NAME_MATCHES + 1].exists()


def _person_q(term: str, *, at_most: int | None = None) -> Q:
    """Subscribers by part of a name (by trigram, not every row), by postcode or its first half, or
    by both ("Wilson G41 5ZF", "G41 Wilson"): the postcode's index narrows to a street or a district,
    and the name is looked for among those only. A name has no digits, a postcode's start has one.
    `at_most`: how many people by name the caller looks at (the trigram index reads no more)."""
    words = term.split()
    for cut in (-2, -1, 2, 1):  # the postcode last (in two words or one), else first
        place, name = (words[cut:], words[:cut]) if cut < 0 else (words[:cut], words[cut:])
        if start := postcode_start(" ".join(place)):
            q = Q(postcode=start[0]) if start[1] else prefix_q("postcode", start[0])
            return q & Q(name__icontains=" ".join(name)) if name else q
    return contains_q(Subscriber, "name", term, at_most=at_most)


def _number_q(term: str) -> Q | None:
    """SIMs with this geographic number, written any usual way; None when the term is not one."""
    try:
        number = clean_geographic_number(term)
    except ValidationError:
        return None
    # The number's id, looked up first: beside the ICCID's range, a subquery in an OR would make
    # PostgreSQL test it against every SIM, where an id list is a second index lookup.
    return Q(number_id__in=list(GeographicNumber.objects.filter(number=number).values_list("pk", flat=True)))


ICCID_DIGITS_AT_LEAST = 4


def search_hint(term: str) -> str:
    """What to type instead, when a search is too short to find SIMs by (else "")."""
    digits = term.replace(" ", "")
    if digits.isascii() and digits.isdigit() and len(digits) < ICCID_DIGITS_AT_LEAST:
        return (f"Type at least {ICCID_DIGITS_AT_LEAST} digits: the last digits of an ICCID, "
                "or a whole phone number.")
    if term and len(term) < TRIGRAM and not postcode_start(term):  # E1 is a postcode district
        return f"Type at least {TRIGRAM} letters of a name, or a postcode's first half (G41)."
    return ""


def digit_prefix_q(field: str, prefix: str) -> Q:
    """`field` starts with these digits, as an index range: [prefix, the next prefix), e.g.
    "129" -> [129, 13). Digits only, so the bounds compare the same in every collation."""
    upper = prefix.rstrip("9")
    if not upper:  # all nines: nothing comes after, only the lower bound is needed
        return Q(**{f"{field}__gte": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper[:-1] + str(int(upper[-1]) + 1)})


