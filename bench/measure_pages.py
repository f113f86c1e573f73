"""The staff pages bench/measure.py times, listed from the views and their filter forms."""

import html
import re
from datetime import timedelta
from functools import partial
from urllib.parse import urlencode

from bench.measure_samples import Samples, national, signed_in, user
from bench.measure_timing import Bench

NEXT = re.compile(r'href="([^"]+)" rel="next"')


def following(client, url: str, pages: int) -> str | None:
    """The URL `pages` Next links on from `url`, reached as a person clicking Next would (untimed);
    None when the list ends first."""
    for _ in range(pages):
        found = NEXT.search(client.get(url).content.decode())
        if not found:
            return None
        link = html.unescape(found.group(1))
        url = url.split("?")[0] + link if link.startswith("?") else link
    return url


def deep_sim_page(sort: str, page: int) -> str | None:
    """The SIM list's page `page` sorted by `sort`, which no one clicks Next 9,999 times to reach:
    the list's own `seek` over the 51 rows ending there gives the Next token of the page before
    it. None when the list is shorter."""
    from common.paging import PAGE_SIZE, seek
    from sims.models import Sim
    from sims.selectors import SIM_SORTS

    order = SIM_SORTS[sort]
    end = (page - 1) * PAGE_SIZE  # rows before the page
    ids = list(Sim.objects.order_by(*order).values_list("pk", flat=True)[end - PAGE_SIZE:end + 1])
    if len(ids) <= PAGE_SIZE:
        return None
    return f"/sims/?{urlencode({'sort': sort, 'cursor': seek(Sim.objects.filter(pk__in=ids), order).next})}"

def staff_pages(bench: Bench, s: Samples) -> None:
    from django.core.cache import cache
    from django.utils import timezone

    from aql.usim import SERVICES
    from sims.lifecycle import Command, RequestState, SimState

    client = signed_in(user("bench-supervisor", role="Supervisor"))
    sim = s.sim
    iccid, number, name, postcode = sim.iccid, sim.number.number, sim.subscriber.name, sim.subscriber.postcode
    get = partial(bench.page, client)

    bench.heading(f"Staff pages ({s.sim_count:,} SIMs)")
    get("dashboard, counts cached", "/")
    get("dashboard, cache cleared before each", "/", before=cache.clear)

    get("SIM list", "/sims/")
    get("SIM list, page 2 (its Next link)", following(client, "/sims/", 1))
    for state in SimState.values:
        get(f"SIM list, state={state}", f"/sims/?state={state}")
    for service in SERVICES:
        get(f"SIM list, service={service}", f"/sims/?service={service}")
    for state, service in (("active", "mo_voice"), ("active", "int_roaming"), ("suspended", "int_calling"),
                           ("unused", "mo_sms")):
        get(f"SIM list, state={state} + service={service}", f"/sims/?state={state}&service={service}")
    for sort in ("updated", "iccid", "state"):
        get(f"SIM list, sort={sort}", f"/sims/?sort={sort}")
        for page in (100, 2_000, 10_000):
            get(f"SIM list, sort={sort}, page {page:,}", deep_sim_page(sort, page))
    get("SIM list, state=unused, sort=iccid", "/sims/?state=unused&sort=iccid")
    get("SIM list, state=active + mo_voice, sort=iccid", "/sims/?state=active&service=mo_voice&sort=iccid")
    get("SIM list, state=suspended, sort=state, page 100", following(client, "/sims/?state=suspended&sort=state", 99))
    for digits in (1, 4, 6):
        get(f"search: last {digits} digit{'s' * (digits > 1)} of an ICCID", f"/sims/?q={iccid[-digits:]}")
    get("search: last 4 digits, state=active", f"/sims/?q={iccid[-4:]}&state=active")
    get("search: a whole ICCID", f"/sims/?q={iccid}")
    get("search: a number, national (0113 496 0123)", f"/sims/?q={national(number)}")
    get("search: a number, international (+44 113 ...)", f"/sims/?q=%2B44 {national(number)[1:]}")
    get("search: a number, aql's form (44113...)", f"/sims/?q={number}")
    get("search: a subscriber's full name", f"/sims/?q={name}")
    get("search: a surname", f"/sims/?q={name.split()[-1]}")
    get("search: part of a name (4 letters)", f"/sims/?q={name.split()[-1][1:5]}")
    get("search: a name nobody has", "/sims/?q=Zebedee Quatermain")
    get("search: a postcode", f"/sims/?q={postcode}")
    get("search: a postcode, typed without its space", f"/sims/?q={postcode.replace(' ', '').lower()}")
    get("search: name + postcode (Wilson G41 5ZF)", f"/sims/?q={name.split()[-1]} {postcode}")
    get("search: postcode district (G41)", f"/sims/?q={postcode.split()[0]}")

    get("a SIM's page", f"/sims/{iccid}/")
    get("a SIM's page, a command in flight", f"/sims/{s.in_flight_iccid}/")
    get("activate form (an unused SIM)", f"/sims/{s.unused_iccid}/activate/")
    get("number form", f"/sims/{iccid}/number/")
    get("suspend: the confirmation page", f"/sims/{iccid}/suspend/")
    get("terminate form", f"/sims/{iccid}/deactivate/")
    get("add SIMs form", "/sims/add/")

    for who in ("staff", "system", "all"):
        get(f"requests, who={who}", f"/requests/?who={who}")
        for show in ("in_flight", "failed", "attention", "unknown"):
            get(f"requests, who={who}, {show}", f"/requests/?who={who}&show={show}")
    get("requests, page 2 (its Next link)", following(client, "/requests/", 1))
    get("requests, who=all, page 100", following(client, "/requests/?who=all", 99))
    get(f"requests, by a person ({s.person})", f"/requests/?who=all&person={s.person}")
    get("requests, by a person nobody is", "/requests/?who=all&person=nobody")
    for command in Command.values:
        get(f"requests, command={command}", f"/requests/?who=all&command={command}")
    for state in RequestState.values:
        get(f"requests, outcome={state}", f"/requests/?who=all&state={state}")
    today = timezone.localdate()
    for days in (1, 30, 365):
        since = (today - timedelta(days=days)).isoformat()
        get(f"requests, sent since {days} day{'s' * (days > 1)} ago", f"/requests/?who=all&since={since}")
    year_ago = (today - timedelta(days=365)).isoformat()
    get("requests, person + command + outcome + since",
        f"/requests/?who=all&person={s.person}&command=suspend&state=success&since={year_ago}")
    if s.unknown_request:
        get("settle an unknown outcome (the page)", f"/requests/{s.unknown_request}/resolve/")

    get("numbers", "/numbers/")
    get("numbers, available", "/numbers/?show=available")
    get("numbers, assigned", "/numbers/?show=assigned")
    get("numbers, page 100", following(client, "/numbers/", 99))
    get("numbers, starting 0113 2", "/numbers/?q=0113 2")
    get("numbers, available, starting +44 161", "/numbers/?show=available&q=%2B44 161")
    get("numbers, starting with a whole number", f"/numbers/?q={number}")

    get("orders", "/orders/")
    get("orders, open", "/orders/?state=open")
    for state in ("draft", "submitted", "processing", "despatched", "cancelled", "failed", "not_placed"):
        get(f"orders, state={state}", f"/orders/?state={state}")
    get("orders, page 2", following(client, "/orders/", 1))
    get("an order's page", f"/orders/{s.order_ref}/")
    get("new order form", "/orders/new/")
    get("stock", "/stock/")
