"""How an answer that is not an error is written: JSON with dates as ISO 8601, where to follow
it, and a page's cursor."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from ninja import Schema


def answer(data: object, status: int = 200, location: str = "") -> JsonResponse:
    """An answer in JSON (dates as ISO 8601), with where to follow it when there is somewhere."""
    response = JsonResponse(data, status=status, encoder=DjangoJSONEncoder, safe=False)
    if location:
        response["Location"] = location
    return response


class Paged(Schema):
    next: str | None = None  # the cursor of the next page: pass it as ?cursor=
