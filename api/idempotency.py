"""Writes done once per `Idempotency-Key`: the first answer is kept a day (the worker deletes it
then: api.tasks), and the same key with the same request gets it again without running anything."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja.errors import ValidationError as SchemaError

from api.models import ApiKey, IdempotentReply
from api.problems import problem, refusal
from common.errors import REFUSALS


def write(request: HttpRequest, run: Callable[[], HttpResponse]) -> HttpResponse:
    """Run a write, turning a refusal into its problem; with an Idempotency-Key, once: the answer is
    kept a day (the worker deletes it then: api.tasks), and the same key with the same request gets
    it again without running anything."""
    def answer() -> HttpResponse:
        try:
            return run()
        except REFUSALS as exc:
            return refusal(request, exc)

    given = request.headers.get("Idempotency-Key", "")
    if not given:
        return answer()
    if len(given) > 200:
        return problem(request, 422, "An Idempotency-Key is at most 200 characters.",
                       [{"field": "Idempotency-Key", "message": "At most 200 characters."}],
                       code="idempotency-key-too-long")
    key: ApiKey = request.auth
    fingerprint = hashlib.sha256(b"\n".join([request.method.encode(), request.path.encode(), request.body])).hexdigest()
    for attempt in range(3):
        try:
            with transaction.atomic():
                kept = IdempotentReply.objects.create(key=key, idempotency_key=given, fingerprint=fingerprint)
            break
        except IntegrityError:
            first = IdempotentReply.objects.filter(key=key, idempotency_key=given).first()
            if first is not None and timezone.now() - first.created_at >= IDEMPOTENT_FOR:
                first.delete()  # past its day, not yet deleted by the worker's pass (api.tasks): forgotten here too
            elif first is not None:
                return _answered_before(request, first, fingerprint)
            elif attempt == 2:  # no reply to clash with: not the key's uniqueness (the API key deleted meanwhile?)
                raise
            # else deleted meanwhile: take the key anew
    else:
        return problem(request, 409, STILL_BEING_DONE, code="idempotency-key-in-use")
    try:
        response = answer()
    except (Http404, ObjectDoesNotExist, SchemaError):
        kept.delete()  # found nothing to act on, before any change: the same key may be used again
        raise
    # Anything else (a crash part-way) keeps the key taken, unanswered: it may have done something.
    body = json.loads(response.content) if response.content else None
    if isinstance(body, dict) and "secret" in body:  # a webhook's secret is shown once, never kept here
        body["secret"] = None
    kept.status, kept.body = response.status_code, body
    kept.location = response.get("Location", "")[:200]
    kept.save(update_fields=["status", "body", "location"])
    return response


def _answered_before(request: HttpRequest, kept: IdempotentReply, fingerprint: str) -> HttpResponse:
    """What a write gets whose Idempotency-Key was used within its day: the first answer again, or
    why not."""
    if kept.fingerprint != fingerprint:
        return problem(request, 422, "This Idempotency-Key was used for another request: use a new key for "
                       "a new request.", [{"field": "Idempotency-Key", "message": "Used for another request."}],
                       code="idempotency-key-reused")
    if kept.status is None and timezone.now() - kept.created_at < UNANSWERED_AFTER:
        return problem(request, 409, STILL_BEING_DONE, code="idempotency-key-in-use")
    if kept.status is None:  # it ended without an answer (the process died): what it did is not known
        return problem(request, 409, "The first request with this Idempotency-Key ended without an answer: "
                       "whether it did anything is not known. Look at the SIM or the journal before asking "
                       "again with a new key.", code="idempotency-unanswered")
    replay = (HttpResponse(status=kept.status) if kept.body is None else JsonResponse(
        kept.body, status=kept.status, safe=False,
        content_type="application/problem+json" if kept.status >= 400 else "application/json"))
    if kept.location:
        replay["Location"] = kept.location
    replay["Idempotent-Replayed"] = "true"
    return replay


IDEMPOTENT_FOR = settings.API_IDEMPOTENCY_KEPT
STILL_BEING_DONE = "The first request with this Idempotency-Key is still being done: ask again in a moment."
UNANSWERED_AFTER = timedelta(minutes=5)  # longer than any write takes: a reply not written by then never will be

