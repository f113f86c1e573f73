"""schemathesis against the API's own OpenAPI schema, in process (WSGI), with a Supervisor's key and
the simulator behind the services: no answer is a 500, and every answer is one the schema allows
(its status, its content type, its body)."""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import keys
from api.v1 import api
from tests.conftest import member_of

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def key(world, django_user_model, settings) -> Iterator[str]:
    settings.API_RATE = "100000/min"
    # In process, as Django's test client does: the request's end must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    owner = member_of("Supervisor", "integrator", django_user_model)
    yield keys.key_create(name="fuzz", role="Supervisor", owner=owner, actor=None)[1]
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_answer_breaks_the_schema_or_is_a_500(case, key):
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
