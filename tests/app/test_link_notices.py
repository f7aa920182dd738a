"""A link's notice names the value the page really starts at: repeated keys and fractions on
every page, checked against the widget's value (Streamlit alone would read some differently)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.links import repeated_keys
from app.notices import plain_text

ROOT = Path(__file__).resolve().parents[2]
ENTRY = str(ROOT / "app" / "streamlit_app.py")


def open_page(page: str, query: dict) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=90)
    at.switch_page(f"views/{page}.py")
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def notice(at: AppTest) -> str:
    return " ".join(plain_text(warning.value) for warning in at.warning)


@pytest.mark.parametrize(
    ("page", "query", "key", "value", "said"),
    [
        ("binary", {"m": ["3", "5"]}, "m", 5, "m is given 2 times (3, 5); using the last, 5"),
        ("binary", {"m": ["3", "99"]}, "m", 4, "m is given 2 times (3, 99); using the default 4"),
        ("binary", {"m": "2.7"}, "m", 2, "m=2.7 is not a whole number; using 2"),
        ("binary", {"n1": ["1.5", "2.5"]}, "n1", 2.5, "n1 is given 2 times (1.5, 2.5); using the last, 2.5"),
        ("binary", {"lock": ["true", "false"]}, "lock", False, "lock is given 2 times (true, false); using the last"),
        ("lesson", {"step": "2.5"}, "step", 2, "step=2.5 is not a whole number; using 2"),
        ("lesson", {"step": "3.0"}, "step", 3, ""),  # Streamlit alone would open step 1
        ("lesson", {"step": ["2", "5"]}, "step", 5, "step is given 2 times (2, 5); using the last, 5"),
        ("multiclass", {"k": ["3", "5"]}, "k", 5, "k is given 2 times (3, 5); using the last, 5"),
        ("train", {"m": ["3", "5"]}, "ts_m", 5, "m is given 2 times (3, 5); the last counts"),
        ("train", {"m": "2.5"}, "ts_m", 4, "Ignored m='2.5': expected an integer"),
    ],
)
def test_the_notice_names_the_value_the_widget_starts_at(page, query, key, value, said):
    at = open_page(page, query)
    assert at.session_state[key] == value
    if said:
        assert said in notice(at), notice(at)
    else:
        assert "ignored" not in notice(at).lower(), notice(at)


def test_lesson_shows_the_step_the_notice_names():
    at = open_page("lesson", {"step": "2.5"})
    assert at.header[0].value.startswith("2.")


def test_repeated_keys_names_only_repeated_ones():
    query = {"m": ["3", "5"], "seed": ["1"], "other": ["a", "b"]}
    assert repeated_keys(query, ["m", "seed"]) == ["m is given 2 times (3, 5); the last counts"]
