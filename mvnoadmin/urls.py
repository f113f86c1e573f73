"""URL configuration: every staff page, sign-in, Django admin. One list, so the whole site reads at a glance."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from api.v1 import api
from common.urls import strict_converter
from common.web import favicon
from dashboard import metrics
from dashboard import views as dashboard
from ops import health
from orders import views as orders
from sims.views import adoptions, batches, imports, numbers, schedules, settle, sims
from sims.views import requests as journal

# Error pages in the site's frame, with a way back (500 and 403: templates Django renders itself).
handler400 = "common.errorpages.bad_request"
handler404 = "common.errorpages.not_found"

strict_converter("iccid", r"[0-9]{19,20}")  # an ICCID: 19 or 20 digits
strict_converter("order_ref", r"[A-Z0-9-]{1,20}")  # our order references: capitals, digits and dashes

# The API signs its calls with keys, not sessions: not behind the sign-in page (its docs are).
api_urls = api.urls
for pattern in api_urls[0]:
    login_not_required(pattern.callback)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
    # Browsers ask for it on every page, admin's too: the one icon, without a sign-in.
    path("favicon.ico", favicon, name="favicon"),
    # Operations, without a sign-in: liveness, readiness (JSON), and Prometheus's figures (a token or an address).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", dashboard.dashboard, name="home"),
    # SIMs, the journal, numbers
    path("sims/", sims.sim_list, name="sim_list"),
    path("sims/add/", sims.sim_add, name="sim_add"),
    path("sims.csv", sims.sim_csv, name="sim_csv"),
    path("sims/import/", imports.sim_import, name="sim_import"),
    path("sims/import/<int:upload>/", imports.sim_import_preview, name="sim_import_preview"),
    path("sims/adopt/", imports.sim_adopt, name="sim_adopt"),
    path("sims/<iccid:iccid>/", sims.sim_detail, name="sim_detail"),
    path("sims/<iccid:iccid>/activate/", sims.sim_activate, name="sim_activate"),
    path("sims/<iccid:iccid>/suspend/", sims.sim_suspend, name="sim_suspend"),
    path("sims/<iccid:iccid>/reactivate/", sims.sim_reactivate, name="sim_reactivate"),
    path("sims/<iccid:iccid>/deactivate/", sims.sim_deactivate, name="sim_deactivate"),
    path("sims/<iccid:iccid>/services/", sims.sim_services, name="sim_services"),
    path("sims/<iccid:iccid>/number/", sims.sim_number, name="sim_number"),
    path("sims/<iccid:iccid>/query/", sims.sim_query, name="sim_query"),
    path("sims/<iccid:iccid>/erase-subscriber/", sims.sim_erase_subscriber, name="sim_erase_subscriber"),
    path("sims/<iccid:iccid>/subscriber/", sims.sim_subscriber, name="sim_subscriber"),
    path("requests/", journal.request_list, name="request_list"),
    path("requests.csv", journal.request_csv, name="request_csv"),
    path("requests/<int:pk>/check/", journal.request_check, name="request_check"),
    path("requests/<int:pk>/resolve/", settle.request_resolve, name="request_resolve"),
    path("requests/<int:pk>/ask-aql/", settle.request_look, name="request_look"),
    path("requests/<int:pk>/send-again/", settle.request_send_again, name="request_send_again"),
    path("batches/", batches.batch_list, name="batch_list"),
    path("batches/new/", batches.batch_new, name="batch_new"),
    path("batches/<int:batch>/", batches.batch_detail, name="batch_detail"),
    path("batches/<int:batch>/retry/", batches.batch_retry, name="batch_retry"),
    path("batches/<int:batch>/cancel/", batches.batch_cancel, name="batch_cancel"),
    path("batches/<int:batch>/outcomes.csv", batches.batch_csv, name="batch_csv"),
    path("adoptions/<int:adoption>/", adoptions.adoption_detail, name="adoption_detail"),
    path("adoptions/<int:adoption>/ask-again/", adoptions.adoption_ask_again, name="adoption_ask_again"),
    path("adoptions/<int:adoption>/outcomes.csv", adoptions.adoption_csv, name="adoption_csv"),
    path("sims/<iccid:iccid>/schedule/", schedules.sim_schedule, name="sim_schedule"),
    path("scheduled/", schedules.schedule_list, name="schedule_list"),
    path("scheduled/<int:action>/move/", schedules.schedule_change, name="schedule_change"),
    path("scheduled/<int:action>/cancel/", schedules.schedule_cancel, name="schedule_cancel"),
    path("numbers/", numbers.number_list, name="number_list"),
    path("numbers/free/", numbers.number_free, name="number_free"),
    # despatch orders and stock
    path("orders/", orders.order_list, name="order_list"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/<order_ref:order_ref>/", orders.order_detail, name="order_detail"),
    path("orders/<order_ref:order_ref>/refresh/", orders.order_refresh, name="order_refresh"),
    path("orders/<order_ref:order_ref>/submit/", orders.order_submit, name="order_submit"),
    path("orders/<order_ref:order_ref>/place-again/", orders.order_place_again, name="order_place_again"),
    path("stock/", orders.stock, name="stock"),
    path("stock/<str:code>/threshold/", orders.stock_threshold, name="stock_threshold"),
]
