import pytest

from ops.pipeline import Running


def test_a_lane_does_not_take_again_what_its_steps_are_running_and_lets_go_when_a_step_fails():
    running = Running()
    due = [1, 2, 3]

    assert running.take(lambda busy: [pk for pk in due if pk not in busy][:2]) == [1, 2]
    assert running.take(lambda busy: [pk for pk in due if pk not in busy][:2]) == [3]

    def fails(pk: int) -> None:
        raise RuntimeError("aql went away")

    with pytest.raises(RuntimeError):
        running.run(fails, 1)
    running.run(lambda pk: None, 2)
    assert running.ids == {3}
    assert running.take(lambda busy: [pk for pk in due if pk not in busy]) == [1, 2]
