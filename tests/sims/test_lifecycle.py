"""The lifecycle table: which buttons a SIM page shows in each state."""

import pytest

from sims.lifecycle import Command, SimState, allowed_commands, refusal

C = Command


@pytest.mark.parametrize(("state", "has_number", "expected"), [
    (SimState.UNUSED, False, [C.ACTIVATE, C.QUERYICCID]),
    (SimState.PENDING, False, [C.QUERYICCID]),
    (SimState.ACTIVE, True, [C.SUSPEND, C.DEACTIVATE, C.ADDSERVICE, C.REMOVESERVICE, C.CHANGEGEO, C.QUERYICCID]),
    (SimState.ACTIVE, False, [C.ASSIGNGEO, C.QUERYICCID]),
    (SimState.SUSPENDED, True, [C.REACTIVATE, C.DEACTIVATE, C.QUERYICCID]),
    (SimState.TERMINATED, False, [C.QUERYICCID]),
])
def test_each_state_allows_exactly_these_commands(state, has_number, expected):
    assert allowed_commands(state=state, has_number=has_number, in_flight=None) == expected


def test_only_asking_the_gateway_is_allowed_while_a_command_is_in_flight():
    assert allowed_commands(state=SimState.ACTIVE, has_number=True, in_flight=C.SUSPEND) == [C.QUERYICCID]
    why = refusal(command=C.ADDSERVICE, state=SimState.ACTIVE, has_number=True, in_flight=C.SUSPEND)
    assert why == "Suspend is still in progress for this SIM: wait for it to finish."


def test_a_terminated_sim_says_so():
    why = refusal(command=C.REACTIVATE, state=SimState.TERMINATED, has_number=False, in_flight=None)
    assert why == "This SIM is terminated: nothing more can be done with it."


@pytest.mark.parametrize(("prefix", "upper"), [("4321", "4322"), ("129", "13"), ("0", "1"), ("99", None)])
def test_a_digit_prefix_is_an_index_range(prefix, upper):
    from sims.search import digit_prefix_q

    bounds = dict(digit_prefix_q("f", prefix).children)
    assert bounds["f__gte"] == prefix and bounds.get("f__lt") == upper
