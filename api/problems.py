"""Every error the API answers with, as one JSON shape: RFC 9457 problem details
(`application/problem+json`), with `errors` per field and a stable `code` for machines beside the
words (the codes are listed for integrators in `api.docs`). A refusal reads as it does on the
staff pages (`common.errors.refusal_text`); aql's codes come each with its meaning and its field."""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaError

from aql.http import GatewayError, GatewayRejected
from common.errors import REFUSALS, Refused, refusal_text

logger = logging.getLogger(__name__)

TITLES = {400: "Bad request", 401: "No valid API key", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
          409: "Refused", 413: "Too large", 422: "Not valid", 429: "Too many requests", 500: "Our error",
          502: "No clear answer from aql"}
# The code a problem carries when nothing more particular is known than its status.
CODES = {400: "bad-request", 401: "no-key", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
         409: "refused", 413: "too-large", 422: "invalid", 429: "rate-limited", 500: "our-error",
         502: "outcome-unknown"}
TYPE = "/api/v1/docs#problem-"  # each kind's type: a fragment naming the status, documented once


class FieldError(Schema):
    field: str | None = None
    message: str
    code: int | None = None  # aql's code, where aql refused


class Problem(Schema):
    """RFC 9457 problem details."""
    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str  # stable, for machines: the kind of problem (`sim-busy`, `aql-63204`, `not-found`...)
    errors: list[FieldError] | None = None
    request: str | None = None  # what was written all the same, to follow: the journal's request, or the order


PROBLEMS = {code: Problem for code in (400, 401, 403, 404, 422, 429)}  # any call: its key, its inputs, its rate
WRITE_PROBLEMS = {**PROBLEMS, 409: Problem, 502: Problem}  # a write: refused by our rules, no clear answer from aql


def problem(asked: HttpRequest, status: int, detail: str, errors: list[dict] | None = None, *,
            code: str | None = None, **more: object) -> JsonResponse:
    """A problem details answer (`code`: the status's own unless given; `more`: members of its own,
    such as the journal's `request`)."""
    body = {"type": f"{TYPE}{status}", "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            "instance": asked.path, "code": code or CODES.get(status, "error"),
            **({"errors": errors} if errors else {}), **more}
    return JsonResponse(body, status=status, content_type="application/problem+json")


def aql_code(codes: list) -> str:
    """The code of a refusal by aql: `aql-` and its first code's number."""
    return f"aql-{codes[0].code}" if codes else "refused"


def refusal(request: HttpRequest, exc: Exception) -> JsonResponse:
    """A service's refusal: our rules (409, or 422 when about one input), bad input (422), aql
    refusing (422, each code in words next to its field) or no clear answer from aql (502: the
    outcome is unknown, and is checked, never resent)."""
    detail = refusal_text(exc)
    if isinstance(exc, Refused):
        if exc.field:
            return problem(request, 422, detail, [{"field": exc.field, "message": exc.message}], code=exc.code)
        return problem(request, 409, detail, code=exc.code)
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return problem(request, 422, detail, errors)
    if isinstance(exc, GatewayRejected) and not any(code.uncertain for code in exc.codes):
        return problem(request, 422, detail, [gateway_error(None, code) for code in exc.codes],
                       code=aql_code(exc.codes))
    assert isinstance(exc, GatewayError)
    return problem(request, 502, detail)


def gateway_error(field: str | None, code) -> dict:
    """One of aql's codes: its number, its meaning in words, the input it is about."""
    return {"field": field, "message": str(code), "code": code.code}


def handlers_install(api: NinjaAPI) -> None:
    """Make every error `api` can meet a problem details answer."""
    def invalid(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        def field(loc: list) -> str | None:  # ["query", "state"]; ["body", "body", "imei"]: the input's own name
            return ".".join(str(p) for p in loc[2 if loc[:1] == ["body"] else 1:]) or None

        errors = [{"field": field(list(e.get("loc", ()))), "message": e.get("msg", "")} for e in exc.errors]
        return problem(request, 422, "Some of what was sent is not valid: see errors.", errors)

    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(request, 401, "This call needs a live API key, sent as the header "
                                         "'Authorization: Bearer <your key>'; none was sent, or it is not one of ours "
                                         "or has been revoked. Your administrator issues keys.")
        response["WWW-Authenticate"] = "Bearer"
        return response

    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        response = problem(request, 429, f"Too many calls with this key: at most {settings.API_RATE}.")
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait) + 1)
        return response

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, exc.message)

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(request, 404, str(exc) if isinstance(exc, Http404) and str(exc) else "Not found.")

    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problem(request, 413, f"The request body is larger than we take ({most:,} bytes): send the list in "
                                     "several calls.")

    def our_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return problem(request, 500, "Something went wrong on our side; it is logged. Nothing is said of it here.")

    for kind, handler in ((SchemaError, invalid), (AuthenticationError, unauthenticated), (Throttled, throttled),
                          (HttpError, http_error), (Http404, not_found), (ObjectDoesNotExist, not_found),
                          (RequestDataTooBig, too_large), *((r, refusal) for r in REFUSALS), (Exception, our_error)):
        api.add_exception_handler(kind, handler)
