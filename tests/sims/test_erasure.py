"""Erasing a subscriber (sims.services.subscriber_erase, by hand and by the retention pass): their
details are left in no column and no kept file, the CSV of activations they came in included."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from common.errors import Refused
from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import Sim, Subscriber, Upload
from tests.conftest import iccid
from tests.sims.test_imports import HEADER, activations, row

pytestmark = pytest.mark.django_db


def personal_data_found(word: str) -> list[str]:
    """Every text column of every table, and every file under MEDIA_ROOT, that holds `word`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            text = isinstance(field, (models.CharField, models.TextField, models.JSONField)) and field.concrete
            if text and model.objects.filter(**{f"{field.name}__icontains": word}).exists():
                found.append(f"{model.__name__}.{field.name}")
    found += [str(path) for path in Path(settings.MEDIA_ROOT).rglob("*")
              if path.is_file() and word.lower().encode() in path.read_bytes().lower()]
    return found


def activated_from_a_file(staff) -> Sim:
    """SIM 0 activated from a file of two rows (its subscriber Grace Hopper), then terminated."""
    activations(HEADER + row(0, name="Grace Hopper") + row(1), staff)
    sim = Sim.objects.get(iccid=iccid(0))
    assert personal_data_found("Hopper")  # in the file, and in the subscriber's row
    Sim.objects.filter(pk=sim.pk).update(state=SimState.TERMINATED, terminated_at=timezone.now() - timedelta(days=40))
    return sim


def test_erasing_a_subscriber_who_came_in_a_file_leaves_them_in_no_column_and_no_file(
        world, staff, django_capture_on_commit_callbacks):
    sim = activated_from_a_file(staff)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the erasure is committed
        services.subscriber_erase(sim_id=sim.pk, actor=staff)
    assert personal_data_found("Hopper") == []
    assert not Upload.objects.exists()


def test_the_retention_pass_erases_a_subscriber_from_the_file_they_came_in_too(
        world, staff, settings, django_capture_on_commit_callbacks):
    sim = activated_from_a_file(staff)
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.erase_expired_pass() == 1
    assert Sim.objects.get(pk=sim.pk).subscriber is None
    assert personal_data_found("Hopper") == []


def test_a_subscriber_in_a_file_still_being_queued_is_erased_once_it_is_done(
        world, staff, django_capture_on_commit_callbacks):
    text = HEADER + row(0, name="Grace Hopper")
    upload = services.upload_preview(file=SimpleUploadedFile("in.csv", text.encode()), kind=Upload.ACTIVATE,
                                     actor=staff)
    services.upload_confirm(upload_id=upload.pk, actor=staff)  # the worker has not queued its rows yet
    sim = Sim.objects.get(iccid=iccid(0))
    Sim.objects.filter(pk=sim.pk).update(state=SimState.TERMINATED)
    sim.subscriber = Subscriber.objects.create(name="Grace Hopper", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save(update_fields=["subscriber"])
    with pytest.raises(Refused, match="still being queued"):
        services.subscriber_erase(sim_id=sim.pk, actor=staff)
    assert Sim.objects.get(pk=sim.pk).subscriber is not None and Upload.objects.filter(pk=upload.pk).exists()
    while services.activations_queue(upload_id=upload.pk):
        pass
    with django_capture_on_commit_callbacks(execute=True):
        services.subscriber_erase(sim_id=sim.pk, actor=staff)
    assert personal_data_found("Hopper") == []


def test_a_kept_file_that_cannot_be_read_stops_the_erasure_in_words(world, staff):
    sim = activated_from_a_file(staff)
    Path(Upload.objects.get().file.path).unlink()  # as on a worker machine without the web's MEDIA_ROOT
    with pytest.raises(Refused, match="not known"):
        services.subscriber_erase(sim_id=sim.pk, actor=staff)
    assert Sim.objects.get(pk=sim.pk).subscriber is not None
