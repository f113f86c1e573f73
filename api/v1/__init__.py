"""The REST API, version 1 (`/api/v1/`): what staff do on the pages, for an integrator's systems,
through the same selectors and services. django-ninja makes the OpenAPI schema from the resource
modules beside this one (`/api/v1/openapi.json`; the interactive docs at `/api/v1/docs`, signed in).

Every call carries an API key (`api.auth`); it may do what its role may, and what it does is
recorded as its owner's, through the API, with the key's name. Every error is a problem details
object with a stable `code` (`api.problems`). A command aql answers later is 202 with the request
to follow (`Location`); its `state` says `unknown` while aql's outcome is not known, with what is
being done about it, and never turns into failure or success without evidence. A write sent with
an `Idempotency-Key` is done once (`api.idempotency`).

Here the API is built: its plumbing installed and a router per resource registered.
"""

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI
from ninja.operation import Operation

from api import docs
from api.auth import KeyAuth
from api.problems import handlers_install
from api.throttle import KeyThrottle
from api.v1 import batches, journal, numbers, orders, replacements, sims, webhooks


class Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs: object) -> dict:
        """The schema, each error answer's body said as problem details (`application/problem+json`)."""
        schema = super().get_openapi_schema(**kwargs)
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for status, answer in operation.get("responses", {}).items():
                if int(status) >= 400 and "application/json" in answer.get("content", {}):
                    answer["content"] = {"application/problem+json": answer["content"]["application/json"]}
        return schema

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The ids integrators' generated clients are built on: as they were when the API was one
        # module (api/v1.py), whichever module a view lives in now.
        return f"api_v1_{operation.view_func.__name__}"


api = Api(title="mvnoadmin", version="1", description=docs.DESCRIPTION, urls_namespace="api-v1", auth=KeyAuth(),
          throttle=[KeyThrottle()], docs_decorator=login_required)
handlers_install(api)

# In this order: the schema lists paths as they are registered.
for _router in (sims.sims, replacements.replacements, numbers.numbers,
                batches.schedules, journal.journal, batches.batches, orders.orders,
                webhooks.webhooks):
    api.add_router("/", _router)
