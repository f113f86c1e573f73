"""Who may do what: the roles the migration made, every URL walked as each role (every admin action:
test_admin_actions.py), the command line's --user, and an audit trail that keeps names."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from common.models import AuditAction, AuditEvent
from common.roles import SYSTEM_USERNAME
from orders import services as order_services
from orders.models import DespatchOrder
from sims import services
from sims.lifecycle import Command, SimAction, SimState
from sims.models import GatewayRequest, ScheduledAction, Sim, SimEvent, Subscriber
from sims.services.sending import request_send
from tests.conftest import IMEI, iccid, manage, member_of, site_urls

pytestmark = pytest.mark.django_db

# The README's role table, permission by permission.
SEES = {"sims.view_sim", "sims.view_gatewayrequest", "sims.view_simevent", "sims.view_geographicnumber",
        "orders.view_despatchorder", "orders.view_orderevent", "orders.view_product", "orders.view_stocklevel",
        "sims.view_replacement"}
DAILY = SEES | {"sims.provision_sim", "sims.see_personal_details", "orders.place_order"}
SUPERVISES = DAILY | {"sims.terminate_sim", "sims.settle_request", "sims.erase_subscriber", "sims.add_sim",
                      "sims.add_geographicnumber", "orders.change_product"}
WEBHOOKS = {"hooks.view_subscription", "hooks.add_subscription", "hooks.change_subscription",
            "hooks.delete_subscription", "hooks.view_delivery"}
REPORTS = {"reports.view_reports"}  # the Reports page: not Customer service's
ACTIVITY = REPORTS | {"reports.view_staff_activity"}
ROLES = {
    "Observer": SEES | REPORTS,
    "Customer service": DAILY,
    "Supervisor": SUPERVISES | WEBHOOKS | ACTIVITY,
    "Admin": SUPERVISES | WEBHOOKS | ACTIVITY | {
        "api.view_apikey", "api.add_apikey", "api.change_apikey", "common.use_admin", "sims.send_raw",
        "auth.view_user", "auth.add_user", "auth.change_user", "auth.view_group", "common.view_auditevent",
        "sims.view_subscriber", "sims.change_subscriber", "sims.change_geographicnumber",
        "sims.delete_geographicnumber", "orders.change_despatchorder", "orders.add_product"},
}


def test_the_migration_makes_the_roles_of_the_readme(db):
    made = {group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
            for group in Group.objects.prefetch_related("permissions__content_type")}
    assert made == ROLES


# --- every URL as every role ----------------------------------------------------------------------

WHO = ("anonymous", "Observer", "Customer service", "Supervisor", "Admin")


def codes(anonymous: int, observer: int, customer_service: int, supervisor: int, admin: int) -> tuple:
    return anonymous, observer, customer_service, supervisor, admin


READ = codes(302, 200, 200, 200, 200)
FORM = codes(302, 403, 200, 200, 200)  # a daily task's form page
SUPERVISOR_FORM = codes(302, 403, 403, 200, 200)
DAILY_POST = codes(302, 403, 302, 302, 302)
SUPERVISOR_POST = codes(302, 403, 403, 302, 302)
# url name -> (method, the expected status for each of WHO). Redirects are the action done (and the
# agent sent back to the page); 200 on a form page is the form; 403 is the page that says why not.
EXPECTED = {
    **dict.fromkeys(["dashboard:home", "sims:sim_list", "sims:sim_detail", "sims:request_list", "sims:number_list",
                     "sims:number_free", "orders:order_list", "orders:order_detail", "orders:stock", "sims:batch_list",
                     "sims:batch_detail", "sims:batch_csv", "sims:sim_csv", "sims:request_csv", "sims:schedule_list",
                     "sims:adoption_detail", "sims:adoption_csv", "notices:notice_list", "notices:notice_count",
                     "notices:preferences"],
                    ("GET", READ)),
    # one's own notifications: marked read and back to the list (another's, or none: nothing changes)
    **dict.fromkeys(["notices:notice_read", "notices:notice_read_all"], ("POST", codes(302, 302, 302, 302, 302))),
    **dict.fromkeys(["sims:schedule_change", "sims:schedule_cancel"],
                    ("POST", DAILY_POST)),  # (a refusal: back to the list)
    "sims:batch_new": ("POST", codes(302, 302, 302, 302, 302)),  # nothing chosen: back to the list, saying so
    "sims:batch_retry": ("POST", DAILY_POST),
    "sims:batch_cancel": ("POST", DAILY_POST),  # nothing waiting: back to the batch, saying so
    **dict.fromkeys(["sims:sim_activate", "sims:sim_number", "orders:order_new", "sims:sim_import",
                     "sims:sim_schedule", "sims:sim_subscriber", "sims:sim_replace"], ("GET", FORM)),
    # a stopped replacement: a Supervisor's (the Admin's is refused in words: the Supervisor's went first)
    **dict.fromkeys(["sims:replacement_resume", "sims:replacement_abandon"], ("POST", SUPERVISOR_POST)),
    **dict.fromkeys(["reports:reports", "reports:report_csv"], ("GET", codes(302, 200, 403, 200, 200))),
    "sims:sim_import_preview": ("GET", codes(302, 404, 404, 404, 404)),  # another's upload: its uploader's alone
    **dict.fromkeys(["sims:sim_deactivate", "sims:request_resolve", "sims:sim_add", "sims:sim_adopt"],
                    ("GET", SUPERVISOR_FORM)),
    **dict.fromkeys(["sims:sim_reactivate", "sims:sim_query", "sims:request_check",
                     "orders:order_refresh", "orders:order_submit", "orders:order_place_again"], ("POST", DAILY_POST)),
    **dict.fromkeys(["sims:sim_erase_subscriber", "sims:request_look", "sims:request_send_again",
                     "orders:stock_threshold", "sims:adoption_ask_again"], ("POST", SUPERVISOR_POST)),
    "sims:sim_suspend": ("POST", FORM),  # no reason given: the form again, saying why one is needed
    "sims:number_rest_end": ("POST", SUPERVISOR_FORM),  # no reason given: the form again, saying why one is needed
    "sims:sim_services": ("POST", FORM),  # nothing ticked on a SIM with none: nothing to change, the form again
    "aql_connection": ("GET", codes(302, 302, 302, 302, 200)),  # Django admin's page: the Admin role's
    "login": ("GET", codes(200, 302, 302, 302, 302)),  # allauth's: a signed-in user is sent on to the dashboard
    "mfa_authenticate": ("GET", codes(302, 302, 302, 302, 302)),  # the second step, only after a right password
    "access:account": ("GET", codes(302, 200, 200, 200, 200)),  # one's own factors: everyone's
    # ours in allauth's place (the last factor a role requires stays): the password asked again first
    "mfa_remove_webauthn": ("GET", codes(302, 302, 302, 302, 302)),
    "logout": ("POST", codes(302, 302, 302, 302, 302)),
    "favicon": ("GET", codes(301, 301, 301, 301, 301)),
    # Operations, without a sign-in: no worker has run here, so not ready; metrics from loopback.
    "ops:healthz": ("GET", codes(200, 200, 200, 200, 200)),
    "ops:readyz": ("GET", codes(503, 503, 503, 503, 503)),
    "dashboard:metrics": ("GET", codes(200, 200, 200, 200, 200)),
}
EXTRA = [  # the same URL by another method, where it does something else
    ("sims:sim_suspend", "GET", FORM),  # the confirmation page
    ("sims:number_list", "POST", SUPERVISOR_FORM),  # nothing pasted: the form again, with why
    ("orders:stock", "POST", DAILY_POST),
    ("notices:preferences", "POST", READ),  # nothing chosen: the form again, each choice asked for
]


@pytest.fixture
def users(db):
    people = {role: member_of(role, role.lower().replace(" ", "-")) for role in WHO[1:]}
    people["Admin"].is_staff = True
    people["Admin"].save()
    return people


@pytest.fixture
def places(world, make_sim, staff, settings):
    """One of everything a URL can name: a SIM, a request (unknown), an order."""
    from ops import gateway

    sim = make_sim(1, number="44113000001", services=())  # so an empty services form changes nothing
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0
    request = services.sim_services_add(sim_id=make_sim(2, number="44113000002").pk, actor=staff,
                                        services=["int_roaming"])
    world.fake.faults.hang_rate = 0
    order = order_services.order_despatch(actor=staff, name="Jo Bloggs", company="", address="1 Road",
                                          postcode="LS1 1AA", contact_no="07700900123")
    order_services.stock_refresh()
    batch = services.batch_start(sim_ids=[sim.pk], command=Command.REACTIVATE, actor=staff)  # one not done
    upload = services.upload_preview(file=SimpleUploadedFile("in.csv", b"iccid\n89440000000000000002\n"),
                                     kind="stock", actor=staff)
    services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, actor=staff,
                          due_at=timezone.now() + timedelta(days=1))
    adoption = services.adoption_start(iccids=[iccid(9)], actor=staff, source="a test")
    replaced = make_sim(3, number="44113000003")  # a replacement aql refused: stopped, for a Supervisor
    replaced.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                                    contact_number="447700900123")
    replaced.imei = IMEI
    replaced.save()
    replacement = services.sim_replace(sim_id=replaced.pk, new_sim_id=Sim.objects.get(iccid=iccid(4)).pk, actor=staff)
    world.fake.force("activate", [63021])
    request_send(request_id=replacement.steps.get().request_id)
    return {"iccid": sim.iccid, "pk": request.pk, "order_ref": order.order_ref, "code": "AQL-123", "batch": batch.pk,
            "upload": upload.pk, "action": ScheduledAction.objects.get().pk, "adoption": adoption.pk,
            "number": "44113000003", "replacement": replacement.pk,
            "notice": 1, "name": "lines"}


def url_names() -> set[str]:
    return set(site_urls())


def test_every_named_url_has_a_row():
    assert url_names() == set(EXPECTED)


@pytest.mark.parametrize("name, method, expected",
                         [(n, m, e) for n, (m, e) in EXPECTED.items()] + EXTRA,
                         ids=[f"{m} {n}" for n, (m, _) in EXPECTED.items()] + [f"{m} {n}" for n, m, _ in EXTRA])
def test_every_url_as_every_role(client, users, places, name, method, expected):
    from django.urls import reverse

    pattern = site_urls()[name]
    url = reverse(name, kwargs={k: places[k] for k in pattern.pattern.converters})
    got = []
    for who in WHO:
        client.logout()
        if who != "anonymous":
            client.force_login(users[who])
        response = client.generic(method, url)
        got.append(response.status_code)
    assert tuple(got) == expected, dict(zip(WHO, got, strict=True))


def test_a_refusal_is_a_page_in_words_and_is_recorded(client, users, places):
    client.force_login(users["Customer service"])
    response = client.get(f"/sims/{places['iccid']}/deactivate/")
    assert response.status_code == 403
    assert "Your account may not terminate a SIM (cannot be undone)." in response.text
    refusal = AuditEvent.objects.get(action=AuditAction.FORBIDDEN)
    assert (refusal.actor_name, refusal.interface) == ("customer-service", "web")


def test_the_admin_site_is_for_admins(client, users):
    for who, expected in (("Observer", 302), ("Supervisor", 302), ("Admin", 200)):
        client.force_login(users[who])
        assert client.get("/admin/").status_code == expected, who


# --- the SIM page shows only what the role may do ------------------------------------------------

def test_the_sim_page_shows_each_role_only_its_buttons(client, users, places):
    buttons = {"Observer": set(), "Customer service": {"Suspend…", "Ask the gateway now"},
               "Supervisor": {"Suspend…", "Ask the gateway now", "Terminate…"}}
    for who, expected in buttons.items():
        client.force_login(users[who])
        page = client.get(f"/sims/{places['iccid']}/").text
        shown = {b for b in ("Suspend…", "Ask the gateway now", "Terminate…") if b in page}
        assert shown == expected, who


def test_an_observer_sees_personal_details_masked(client, users, world, make_sim, staff):
    sim = make_sim(3, number="44113000003")
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save()
    client.force_login(users["Observer"])
    page = client.get(f"/sims/{sim.iccid}/").text
    assert "Ada Lovelace" not in page and "•••••••••ace" in page and "447700900123" not in page
    client.force_login(users["Customer service"])
    assert "Ada Lovelace" in client.get(f"/sims/{sim.iccid}/").text


def test_django_admin_never_deletes_a_user(client, users):
    client.force_login(users["Admin"])
    observer = users["Observer"]
    assert client.post(f"/admin/auth/user/{observer.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(observer).objects.filter(pk=observer.pk).exists()


# --- the command line -----------------------------------------------------------------------------

def test_the_command_line_checks_the_users_role_and_records_a_refusal(world, make_sim, users):
    sim = make_sim(1, number="44113000001")
    status, out = manage("sim", "--user", "observer", "suspend", sim.iccid, "--reason", "lost")
    assert status == 1 and "observer may not activate, suspend" in out
    assert world.fake.count("suspend") == 0
    assert AuditEvent.objects.filter(action=AuditAction.FORBIDDEN, actor_name="observer", interface="cli").exists()
    status, _ = manage("sim", "--user", "customer-service", "deactivate", sim.iccid, "--reason", "lost")
    assert status == 1 and world.fake.count("deactivate") == 0


def test_without_user_the_command_line_acts_as_the_named_system_account(world, make_sim):
    sim = make_sim(1, number="44113000001")
    assert manage("sim", "suspend", sim.iccid, "--reason", "lost")[0] == 0
    request = GatewayRequest.objects.get(sim=sim, command="suspend")
    assert request.actor.username == SYSTEM_USERNAME
    event = SimEvent.objects.filter(sim=sim).first()
    assert (event.actor_name, event.interface) == (SYSTEM_USERNAME, "cli")


# --- an audit trail with no gaps ------------------------------------------------------------------

def test_events_keep_who_did_it_after_the_user_is_deleted(world, make_sim, users):
    agent = users["Customer service"]
    services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=agent)
    agent.delete()  # by the shell: admin does not offer it
    event = SimEvent.objects.filter(action="sending").get()
    assert event.actor is None and event.actor_name == "customer-service"


def test_each_interface_is_recorded(client, world, make_sim, users):
    sim = make_sim(1, number="44113000001")
    client.force_login(users["Customer service"])
    client.post(f"/sims/{sim.iccid}/query/")
    from sims import tasks

    services.sim_suspend(sim_id=sim.pk, actor=users["Customer service"])
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.update(next_poll_at=None)
    GatewayRequest.objects.filter(command="suspend").update(next_poll_at="2000-01-01T00:00:00Z")
    tasks.poll_pass()
    interfaces = dict(SimEvent.objects.filter(sim=sim).values_list("action", "interface"))
    assert interfaces["queried"] == "web" and interfaces["succeeded"] == "worker"


def test_sign_ins_and_failed_ones_are_recorded(client, users):
    client.post("/login/", {"username": "observer", "password": "wrong"})
    client.post("/login/", {"username": "my-secret-pw", "password": "x"})  # a password in the wrong box
    client.post("/login/", {"username": "observer", "password": "pw-observer-123"})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "actor_name", "subject"))
    assert actions == [(AuditAction.SIGN_IN_FAILED, "anonymous", "observer"),
                       (AuditAction.SIGN_IN_FAILED, "anonymous", ""),
                       (AuditAction.SIGNED_IN, "observer", "")]
    assert not AuditEvent.objects.filter(message__contains="my-secret-pw").exists()


def test_the_system_account_never_signs_in_and_admin_cannot_touch_it(client, users):
    from django.contrib.auth import get_user_model

    system = get_user_model().objects.get(username=SYSTEM_USERNAME)
    system.set_password("known-Pa55word")
    system.save()
    client.post("/login/", {"username": SYSTEM_USERNAME, "password": "known-Pa55word"})
    assert "_auth_user_id" not in client.session
    client.force_login(users["Admin"])
    assert client.get(f"/admin/auth/user/{system.pk}/password/").status_code in (302, 404)
    page = client.get(f"/admin/auth/user/{users['Observer'].pk}/change/").text
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page  # roles only, by group


def test_staff_flag_alone_does_not_open_django_admin(client, users):
    supervisor = users["Supervisor"]
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    assert client.get("/admin/").status_code == 302
    assert client.post("/admin/sims/geographicnumber/bulk-add/", {"numbers": "441134960000"}).status_code == 302
    from sims.models import GeographicNumber

    assert not GeographicNumber.objects.filter(number="441134960000").exists()


def test_orders_have_a_trail_like_sims(world, users):
    agent = users["Customer service"]
    order = order_services.order_despatch(actor=agent, name="Jo Bloggs", company="", address="1 Road",
                                          postcode="LS1 1AA", contact_no="07700900123")
    world.fake.advance(world.fake.faults.despatch_after)
    order_services.order_refresh(order_id=order.pk, actor=None)
    trail = list(order.events.order_by("id").values_list("actor_name", "state_before", "state_after"))
    assert trail == [("customer-service", "", "draft"), ("customer-service", "draft", "submitted"),
                     ("customer-service", "submitted", "processing"), ("system", "processing", "despatched")]


# --- personal data --------------------------------------------------------------------------------

def test_erasure_leaves_the_name_in_no_table_log_entry_admin_history_or_file(world, users):
    from tests.sims.test_erasure import personal_data_found

    agent = users["Supervisor"]
    order = order_services.order_despatch(actor=agent, name="Grace Hopper", company="", address="7 Navy Yard",
                                          postcode="LS1 1AA", contact_no="07700900123")
    world.fake.advance(world.fake.faults.despatch_after)
    order = order_services.order_refresh(order_id=order.pk, actor=agent)
    sim = order.sim
    services.sim_activate(sim_id=sim.pk, actor=agent, imei="490154203237518", number="44113000005",
                          name="Grace Hopper", address="7 Navy Yard", postcode="LS1 1AA",
                          contact_number="07700900123")
    subscriber = Sim.objects.get(pk=sim.pk).subscriber
    LogEntry.objects.log_actions(user_id=agent.pk, queryset=[subscriber], action_flag=ADDITION,
                                 change_message="Added Grace Hopper")
    Sim.objects.filter(pk=sim.pk).update(state=SimState.TERMINATED)
    services.subscriber_erase(sim_id=sim.pk, actor=agent)
    assert personal_data_found("Hopper") == []
    assert LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Subscriber)).exists()


def test_the_retention_setting_erases_subscribers_of_sims_terminated_long_ago(world, make_sim, settings):
    from datetime import timedelta

    from django.utils import timezone

    from sims import tasks

    old, recent = make_sim(1, state=SimState.TERMINATED), make_sim(2, state=SimState.TERMINATED)
    for sim, days in ((old, 40), (recent, 10)):
        sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                                   contact_number="447700900123")
        sim.save()
        Sim.objects.filter(pk=sim.pk).update(terminated_at=timezone.now() - timedelta(days=days))
    settings.PERSONAL_DATA_RETENTION_DAYS = 0
    assert tasks.erase_expired_pass() == 0  # off by default
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    assert tasks.erase_expired_pass() == 1
    assert Sim.objects.get(pk=old.pk).subscriber is None and Sim.objects.get(pk=recent.pk).subscriber is not None
    event = SimEvent.objects.get(sim=old, action=SimAction.ERASED)
    assert (event.actor_name, event.interface) == ("system", "worker")


def test_a_sim_terminated_by_any_path_records_when(world, make_sim):
    sim = make_sim(1, number="44113000001")
    assert sim.terminated_at is None
    world.fake.put_sim(sim.iccid, state="terminated")
    services.sim_query(sim_id=sim.pk, actor=None)  # aql says so: ours follows
    assert Sim.objects.get(pk=sim.pk).terminated_at is not None


def test_bulk_input_is_capped_with_a_clear_message(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="At most 10,000 at a time"):
        services.number_add(numbers=[str(441130000000 + n) for n in range(10_001)])
    status, out = manage("sim", "add", *[str(1111111111100000000 + n) for n in range(10_001)])
    assert status == 1 and "At most 10,000 at a time (10,001 given)" in out


def test_an_observer_cannot_find_sims_by_a_subscribers_name_or_postcode(client, users, world, make_sim):
    sim = make_sim(3, number="44113000003")
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save()
    client.force_login(users["Observer"])
    for term in ("Lovel", "LS1 1AA"):
        assert sim.iccid not in client.get("/sims/", {"q": term}).text, term
    assert sim.iccid in client.get("/sims/", {"q": sim.iccid[-6:]}).text  # by ICCID still
    client.force_login(users["Customer service"])
    assert sim.iccid in client.get("/sims/", {"q": "Lovel"}).text


def test_the_favicon_is_served_without_sign_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_a_supervisor_adds_sims_and_sets_thresholds_on_the_staff_site(client, users, world):
    from orders.models import Product

    client.force_login(users["Supervisor"])
    response = client.post("/sims/add/", {"iccids": f"{iccid(50)}\n12"})
    assert "Not an ICCID (19 or 20 digits): 12." in response.text
    response = client.post("/sims/add/", {"iccids": f"{iccid(50)}, {iccid(51)}"}, follow=True)
    assert "2 SIMs added." in response.text and Sim.objects.filter(iccid=iccid(51)).exists()
    order_services.stock_refresh()
    response = client.post("/stock/AQL-123/threshold/", {"threshold": "-4"}, follow=True)
    assert "AQL-123: A threshold is a number of SIMs: 0 or more." in response.text
    response = client.post("/stock/AQL-123/threshold/", {"threshold": "5000"}, follow=True)
    assert "AQL-123: warn below 5,000." in response.text
    assert Product.objects.get(code="AQL-123").low_stock_threshold == 5000
    assert AuditEvent.objects.filter(action=AuditAction.CHANGED, actor_name="supervisor",
                                     subject="product AQL-123").exists()
    assert AuditEvent.objects.filter(action=AuditAction.SIMS_ADDED, actor_name="supervisor").exists()


def test_an_admin_who_is_not_a_superuser_cannot_touch_a_superusers_account(client, users, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="root-Pa55word")
    client.force_login(users["Admin"])
    assert client.get(f"/admin/auth/user/{admin_user.pk}/password/").status_code in (302, 404)
    assert client.post(f"/admin/auth/user/{admin_user.pk}/password/",
                       {"password1": "Taken-0ver-pw", "password2": "Taken-0ver-pw"}).status_code in (302, 404)
    admin_user.refresh_from_db()
    assert not admin_user.check_password("Taken-0ver-pw")


def test_a_sim_brought_back_from_terminated_forgets_when_it_was_terminated(world, make_sim):
    sim = make_sim(1, state=SimState.TERMINATED)
    assert Sim.objects.get(pk=sim.pk).terminated_at is not None
    world.fake.put_sim(sim.iccid, state="active", geo_nos="44113000001")
    services.sim_query(sim_id=sim.pk, actor=None)  # aql says it lives: ours follows
    assert Sim.objects.get(pk=sim.pk).terminated_at is None


def test_retention_erases_recipients_of_orders_that_never_became_sims(world, users, settings):
    from datetime import timedelta

    from django.utils import timezone

    from orders import tasks as order_tasks
    from orders.lifecycle import OrderState

    agent = users["Customer service"]
    world.fake.faults.cancel_rate = 1.0
    old = order_services.order_despatch(actor=agent, name="Grace Hopper", company="", address="7 Navy Yard",
                                        postcode="LS1 1AA", contact_no="07700900123")
    world.fake.advance(world.fake.faults.despatch_after)
    assert order_services.order_refresh(order_id=old.pk, actor=None).state == OrderState.CANCELLED
    recent = order_services.order_create(actor=agent, name="Ada Lovelace", company="", address="1 Road",
                                         postcode="LS1 1AA", contact_no="07700900123")
    DespatchOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    assert order_tasks.erase_expired_pass() == 1
    assert DespatchOrder.objects.get(pk=old.pk).name == "(erased)"
    assert DespatchOrder.objects.get(pk=recent.pk).name == "Ada Lovelace"
    assert old.events.first().message.startswith("The recipient's personal details were erased")
