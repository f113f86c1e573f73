"""The Django admin entries bench/measure.py times, found from the admin's registry."""

from functools import partial
from urllib.parse import urlencode

from bench.measure_samples import Samples, middle_pk, national, signed_in, user
from bench.measure_timing import Bench

# Admins defined here (users too: common/admin.py); those of django-axes, django-q2 and auth's
# groups are left out: their tables do not grow with SIMs.
OUR_APPS = ("common", "sims", "orders", "dashboard")


def admin_searches(s: Samples) -> dict[str, list[tuple[str, str]]]:
    """Realistic search terms per model (what an admin would type); a model missing here is
    searched for 'a' and says so."""
    sim = s.sim
    name = sim.subscriber.name
    return {
        "sims.sim": [("last 6 digits of an ICCID", sim.iccid[-6:]), ("last 4 digits", sim.iccid[-4:]),
                     ("a whole ICCID", sim.iccid), ("a number, national", national(sim.number.number)),
                     ("a subscriber's name", name), ("a surname", name.split()[-1]),
                     ("a postcode", sim.subscriber.postcode)],
        "sims.geographicnumber": [("a whole number", sim.number.number), ("starting 0113 2", "0113 2")],
        "sims.subscriber": [("a full name", name), ("a surname", name.split()[-1]),
                            ("a postcode", sim.subscriber.postcode)],
        "sims.gatewayrequest": [("an ICCID", sim.iccid), ("an aql request id", str(_an_aql_id()))],
        "sims.simevent": [("an ICCID", sim.iccid)],
        "orders.despatchorder": [("an order reference", s.order_ref), ("a surname", name.split()[-1]),
                                 ("a postcode", sim.subscriber.postcode), ("an ICCID", sim.iccid)],
        "orders.product": [("a product code", "AQL-123")],
        "common.auditevent": [("a username", s.person)],
        "auth.user": [("a username", s.person)],
    }


def _an_aql_id() -> int:
    from sims.models import GatewayRequest

    return GatewayRequest.objects.filter(aql_id__isnull=False).order_by("-created_at").values_list(
        "aql_id", flat=True).first() or 0


def admin_pages(bench: Bench, s: Samples) -> None:
    from django.contrib import admin
    from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
    from django.core.cache import cache
    from django.db.models import Max
    from django.test import RequestFactory
    from django.urls import reverse
    from django.utils import timezone

    superuser = user("bench-admin", superuser=True)
    client = signed_in(superuser)
    searches = admin_searches(s)
    get = partial(bench.page, client)

    bench.heading(f"Django admin ({s.sim_count:,} SIMs)")
    get("admin index", reverse("admin:index"))
    ours = [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if type(model_admin).__module__.split(".")[0] in OUR_APPS]
    for model, model_admin in sorted(ours, key=lambda item: item[0]._meta.label_lower):
        meta = model._meta
        name = meta.verbose_name_plural
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = superuser
        changelist = model_admin.get_changelist_instance(request)
        get(f"{name}: list", url)
        if model_admin.paginator is not admin.ModelAdmin.paginator or meta.label_lower == "sims.sim":
            get(f"{name}: list, count cache cleared before each", url, before=cache.clear)
        pages = changelist.paginator.num_pages  # as the admin counts them (it may stop counting)
        if pages >= 100:
            get(f"{name}: page 100", f"{url}?{PAGE_VAR}=100")
        if pages > 1:
            get(f"{name}: the last page it offers ({pages:,})", f"{url}?{PAGE_VAR}={pages}")
        for spec in changelist.filter_specs:
            for option in spec.choices(changelist):
                query = option["query_string"]
                if option["selected"]:
                    continue  # "All": the plain list (the changelist was made without filters)
                get(f"{name}: filter {spec.title} = {option['display']}", url + query)
        if hierarchy := model_admin.date_hierarchy:  # the date links above the list, down to a day
            latest = timezone.localtime(model._default_manager.aggregate(latest=Max(hierarchy))["latest"])
            drill = f"{hierarchy}__year={latest.year}"
            for level, more in (("year", ""), ("month", f"&{hierarchy}__month={latest.month}"),
                                ("day", f"&{hierarchy}__month={latest.month}&{hierarchy}__day={latest.day}")):
                get(f"{name}: {hierarchy} by {level}", f"{url}?{drill}{more}")
        for index, field in enumerate(changelist.list_display):
            if changelist.get_ordering_field(field) is None:
                continue
            label = getattr(getattr(model_admin, field, None), "short_description", field)
            for direction, sign in (("ascending", ""), ("descending", "-")):
                get(f"{name}: sort by {label}, {direction}", f"{url}?{ORDER_VAR}={sign}{index}")
        if model_admin.get_search_fields(request):
            for label, term in searches.get(meta.label_lower, [("'a' (no realistic term known)", "a")]):
                get(f"{name}: search {label}", f"{url}?{urlencode({SEARCH_VAR: term})}")
        sample = s.sim.pk if meta.label_lower == "sims.sim" else middle_pk(model)
        if sample is not None and model_admin.has_view_permission(request):
            get(f"{name}: a change page", reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[sample]))
