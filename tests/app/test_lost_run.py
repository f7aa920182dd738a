"""After a server restart (or a move to another replica) the training page says the run was lost.

A fresh session is what a browser gets when its server is gone: AppTest's new session with the
URL the old page carried plays that part.
"""

from tests.app.test_train_page import click, start, step_count


def lost_notices(at) -> list[str]:
    return [warning.value for warning in at.warning if "run was lost" in warning.value]


def test_a_started_run_marks_the_url_and_a_paused_one_at_step_zero_does_not():
    at = start(m="2")
    assert "run" not in at.query_params and at.query_params["m"] == "2"
    click(at, "train_play")
    assert at.query_params["run"] == "1" and at.query_params["m"] == "2"
    click(at, "train_reset")
    assert "run" not in at.query_params


def test_the_same_session_never_sees_the_notice():
    at = click(start(), "train_play")
    at.run()
    click(at, "train_pause")
    assert not lost_notices(at)


def test_a_new_session_with_the_marker_is_told_and_can_start_again():
    at = click(start(m="2", hidden_width="16"), "train_play")
    url = dict(at.query_params)
    assert url["run"] == "1"
    again = start(**url)  # what the reconnecting browser asks for
    assert lost_notices(again), [warning.value for warning in again.warning]
    assert step_count(again) == 0
    assert again.session_state["ts_m"] == 2 and again.session_state["ts_hidden_width"] == 16  # settings restored
    click(again, "train_restart")
    assert again.session_state["train_run"].running
    again.run()
    assert step_count(again) > 0 and not lost_notices(again)


def test_a_link_without_the_marker_has_no_notice():
    assert not lost_notices(start(m="3"))
