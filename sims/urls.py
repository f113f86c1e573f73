"""The SIM pages: SIMs and their commands, the journal, batches, schedules, imports, adoptions and numbers."""

from django.urls import path

from sims.views import adoptions, batches, imports, numbers, replacements, schedules, settle, sims
from sims.views import requests as journal

app_name = "sims"

urlpatterns = [
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
    path("sims/<iccid:iccid>/schedule/", schedules.sim_schedule, name="sim_schedule"),
    path("sims/<iccid:iccid>/replace/", replacements.sim_replace, name="sim_replace"),
    path("replacements/<int:replacement>/resume/", replacements.replacement_resume, name="replacement_resume"),
    path("replacements/<int:replacement>/abandon/", replacements.replacement_abandon, name="replacement_abandon"),
    # the journal
    path("requests/", journal.request_list, name="request_list"),
    path("requests.csv", journal.request_csv, name="request_csv"),
    path("requests/<int:pk>/check/", journal.request_check, name="request_check"),
    path("requests/<int:pk>/resolve/", settle.request_resolve, name="request_resolve"),
    path("requests/<int:pk>/ask-aql/", settle.request_look, name="request_look"),
    path("requests/<int:pk>/send-again/", settle.request_send_again, name="request_send_again"),
    # many SIMs at once, and later
    path("batches/", batches.batch_list, name="batch_list"),
    path("batches/new/", batches.batch_new, name="batch_new"),
    path("batches/<int:batch>/", batches.batch_detail, name="batch_detail"),
    path("batches/<int:batch>/retry/", batches.batch_retry, name="batch_retry"),
    path("batches/<int:batch>/cancel/", batches.batch_cancel, name="batch_cancel"),
    path("batches/<int:batch>/outcomes.csv", batches.batch_csv, name="batch_csv"),
    # SIMs already in use at aql, asked about one by one
    path("adoptions/<int:adoption>/", adoptions.adoption_detail, name="adoption_detail"),
    path("adoptions/<int:adoption>/ask-again/", adoptions.adoption_ask_again, name="adoption_ask_again"),
    path("adoptions/<int:adoption>/outcomes.csv", adoptions.adoption_csv, name="adoption_csv"),
    path("scheduled/", schedules.schedule_list, name="schedule_list"),
    path("scheduled/<int:action>/move/", schedules.schedule_change, name="schedule_change"),
    path("scheduled/<int:action>/cancel/", schedules.schedule_cancel, name="schedule_cancel"),
    # the number pool
    path("numbers/", numbers.number_list, name="number_list"),
    path("numbers/free/", numbers.number_free, name="number_free"),
    path("numbers/<str:number>/rest/end/", numbers.number_rest_end, name="number_rest_end"),
]
