"""The staff pages' check of a gateway command's permission: the one its row in the registry names."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from common.web import requires
from sims import lifecycle
from sims.lifecycle import Command

View = Callable[..., HttpResponse]


def command_requires(command: Command) -> Callable[[View], View]:
    """Let a command's page run only for a user holding the permission its registry row names (read
    as each request comes, so the row alone decides); anyone else is refused as `requires` refuses.
    Checked once: the page's own parts check nothing more."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return requires(lifecycle.TABLE[command].permission)(view)(request, *args, **kwargs)

        return wrapped

    return decorate
