"""Who did what, through which door. Every state change is recorded with a person (or the named
system account) and the interface it came through: web, admin, cli, api or worker.

The interface is ambient (a context variable) because it belongs to the request, the command
or the task, not to any one service: the web middleware, `StaffCommand` and the worker's passes
set it; services read it when they write an event.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import models

# Which door an action came through: the staff site, Django admin, the command line, the worker,
# or the system itself (a migration, a shell).
Interface = models.TextChoices("Interface", [("WEB", ("web", "Staff site")), ("ADMIN", ("admin", "Django admin")),
                                             ("CLI", ("cli", "Command line")), ("WORKER", ("worker", "Worker")),
                                             ("API", ("api", "API")), ("SYSTEM", ("system", "System"))])


_interface: ContextVar[str] = ContextVar("interface", default=Interface.SYSTEM)
_key: ContextVar[str] = ContextVar("key", default="")


@contextmanager
def via(interface: str, *, key: str = "") -> Iterator[None]:
    """Everything recorded inside the block came through `interface` (the API: with the API key
    named `key`, which every actor's name then carries)."""
    token, key_token = _interface.set(interface), _key.set(key)
    try:
        yield
    finally:
        _interface.reset(token)
        _key.reset(key_token)


def with_key(name: str) -> None:
    """From now until the enclosing `via` ends (the API's request), name the API key `name` with
    every actor (the API's authentication knows the key only once the request is under way)."""
    _key.set(name)


def current_interface() -> str:
    return _interface.get()


def name_of(actor: AbstractBaseUser | None) -> str:
    """The name an event keeps for its actor, so deleting the user does not erase who it was."""
    if actor is None or not actor.pk:
        return "system"
    key = _key.get()
    return f"{actor.get_username()} (API key {key})"[:150] if key else actor.get_username()


ERASED = "(erased)"  # what is left where a person's details were


def forget_admin_history(model: type[models.Model], pks: list[int]) -> None:
    """Django admin's log names each object as it was (a subscriber's name and postcode) and says
    what changed: erase both, keep that someone changed it and when."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model),
                            object_id__in=[str(pk) for pk in pks]).update(object_repr=ERASED, change_message="")
