"""Who did something: a person, or the system (the worker) when there is none."""

from django.contrib.auth.models import AbstractBaseUser

Actor = AbstractBaseUser | None  # who asked; None: the system (the worker)


def recorded(actor: Actor) -> AbstractBaseUser | None:
    """The actor as a row can point to it (an anonymous or unsaved user is recorded as nobody)."""
    return actor if actor is not None and actor.pk else None
