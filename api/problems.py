"""Every error the API answers with, as one JSON shape: RFC 9457 problem details
(`application/problem+json`), with `errors` per field. A refusal reads as it does on the staff
pages (`common.errors.refusal_text`); aql's codes come each with its meaning and its field."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse

from aql.http import GatewayError, GatewayRejected
from common.errors import Refused, refusal_text

TITLES = {400: "Bad request", 401: "No valid API key", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
          409: "Refused", 413: "Too large", 422: "Not valid", 429: "Too many requests", 500: "Our error",
          502: "No clear answer from aql"}
TYPE = "/api/v1/docs#problem-"  # each kind's type: a fragment naming the status, documented once


def problem(asked: HttpRequest, status: int, detail: str, errors: list[dict] | None = None,
            **more: object) -> JsonResponse:
    """A problem details answer (`more`: members of its own, such as the journal's `request`)."""
    body = {"type": f"{TYPE}{status}", "title": TITLES.get(status, "Error"), "status": status, "detail": detail,
            "instance": asked.path, **({"errors": errors} if errors else {}), **more}
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    return response


def refusal(request: HttpRequest, exc: Exception) -> JsonResponse:
    """A service's refusal: our rules (409, or 422 when about one input), bad input (422), aql
    refusing (422, each code in words next to its field) or no clear answer from aql (502: the
    outcome is unknown, and is checked, never resent)."""
    detail = refusal_text(exc)
    if isinstance(exc, Refused):
        if exc.field:
            return problem(request, 422, detail, [{"field": exc.field, "message": exc.message}])
        return problem(request, 409, detail)
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            errors = [{"field": f, "message": m} for f, msgs in exc.message_dict.items() for m in msgs]
        else:
            errors = [{"field": None, "message": m} for m in exc.messages]
        return problem(request, 422, detail, errors)
    if isinstance(exc, GatewayRejected) and not any(code.uncertain for code in exc.codes):
        return problem(request, 422, detail, [gateway_error(None, code) for code in exc.codes])
    assert isinstance(exc, GatewayError)
    return problem(request, 502, detail)


def gateway_error(field: str | None, code) -> dict:
    """One of aql's codes: its number, its meaning in words, the input it is about."""
    return {"field": field, "message": str(code), "code": code.code}
