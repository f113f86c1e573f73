"""Who asked, when the worker does it later: a batch's row, a file's row, a services change's
removals and a scheduled action are sent in their requester's name, so each is sent only while
that person may still give the command (an account closed or moved to a lesser role since stops
what it left waiting). One rule, read when each is sent."""

from django.contrib.auth.models import AbstractBaseUser

from common.roles import SYSTEM_USERNAME
from sims import lifecycle
from sims.lifecycle import Command
from sims.models import GatewayRequest, ReplacementStep, Sim
from sims.selectors_replacements import sim_replacement


def requester_refusal(*, actor: AbstractBaseUser | None, actor_name: str, command: Command) -> str | None:
    """Why `command` is not sent in the name of who asked for it (`actor`, recorded as `actor_name`),
    or None. The system account (no person: the worker, a command line without --user) may."""
    if actor is None and actor_name == SYSTEM_USERNAME:
        return None
    if actor is not None and actor.is_active and actor.has_perm(lifecycle.TABLE[command].permission):
        return None
    who = actor.get_username() if actor is not None else actor_name  # (a deleted account: its name is kept)
    return f"{who}'s account no longer may {command.label.lower()} (it was closed, or its role changed)."


def send_refusal(*, actor: AbstractBaseUser | None, actor_name: str, command: Command, sim: Sim,
                 in_flight: str | None = None, request: GatewayRequest | None = None) -> str | None:
    """Why `command` is not sent now for `sim` in its requester's name, or None: the requester may no
    longer give it (`requester_refusal`), or the SIM's state no longer allows it (the lifecycle), or the
    SIM is being replaced and `request` is not one of the replacement's steps. A step is sent while its
    requester may still replace a SIM (the activation's permission: the termination is part of it)."""
    step = request is not None and ReplacementStep.objects.filter(request=request).exists()
    if step:
        command_of_requester = Command.ACTIVATE
    elif replacing := replacement_refusal(sim_id=sim.pk, command=command):
        return replacing
    else:
        command_of_requester = command
    return (requester_refusal(actor=actor, actor_name=actor_name, command=command_of_requester)
            or lifecycle.refusal(command=command, state=sim.state, has_number=sim.number_id is not None,
                                 in_flight=in_flight))


def replacement_refusal(*, sim_id: int, command: Command) -> str | None:
    """Why no command but a query may be given to a SIM a replacement is under way for, or None."""
    if command == Command.QUERYICCID or (replacement := sim_replacement(sim_id=sim_id)) is None:
        return None
    return (f"This SIM is part of replacement {replacement.pk} (SIM {replacement.old_sim.iccid} by "
            f"{replacement.new_sim.iccid}): no other command until it is done or abandoned.")
