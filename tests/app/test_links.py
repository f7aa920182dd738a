"""app.links: which incoming link values are rejected, and what the shared link contains."""

import pytest

from app.links import Param, invalid_params, link_query, link_values, page_url

M = Param("m", 4, 1, 8)
NORM = Param("n1", 2.0, 0.1, 5.0)
LOCK = Param("lock", True)
FIELD = Param("field", "off", options=("off", "softmax", "L-Softmax"))
PARAMS = (M, NORM, LOCK, FIELD)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"m": "1"},
        {"m": "8"},
        {"n1": "0.1", "lock": "FALSE", "field": "softmax"},
        {"n1": "5", "lock": "true", "field": "L-Softmax"},
        {"other": "whatever"},  # not ours: left alone
    ],
)
def test_valid_links_raise_no_notice(query):
    assert invalid_params(query, PARAMS) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"m": "99"}, "m=99 is outside 1..8; using the default 4"),
        ({"m": "0"}, "m=0 is outside 1..8; using the default 4"),
        ({"m": "abc"}, "m=abc is not a number; using the default 4"),
        ({"m": "2.5"}, "m=2.5 is not a whole number; using 2"),
        ({"m": ""}, "m is empty; using the default 4"),
        ({"n1": "nan"}, "n1=nan is not a finite number; using the default 2.0"),
        ({"n1": "-1"}, "n1=-1 is outside 0.1..5; using the default 2.0"),
        ({"n1": "inf"}, "n1=inf is not a finite number; using the default 2.0"),
        ({"lock": "yes"}, "lock=yes is not true or false; using the default True"),
        ({"field": "rainbow"}, "field=rainbow is not one of off, softmax, L-Softmax; using the default"),
    ],
)
def test_invalid_values_are_named_with_the_reason(query, expected):
    assert invalid_params(query, PARAMS) == [expected]


@pytest.mark.parametrize(
    ("query", "value", "expected"),
    [
        ({"m": ["3", "42"]}, 4, "m is given 2 times (3, 42); using the default 4"),
        ({"m": ["42", "3"]}, 3, "m is given 2 times (42, 3); using the last, 3"),
        ({"m": ["3", "5"]}, 5, "m is given 2 times (3, 5); using the last, 5"),
        ({"lock": ["false", "true"]}, True, "lock is given 2 times (false, true); using the last, true"),
        ({"m": ["1"] * 7}, 1, "m is given 7 times (1, 1, 1, 1, 1, …); using the last, 1"),
    ],
)
def test_a_repeated_parameter_says_which_value_counts(query, value, expected):
    key = next(iter(query))
    assert link_values(query, PARAMS)[key] == (value, expected)


@pytest.mark.parametrize(
    ("raw", "value", "expected"),
    [
        ("2.5", 2, "m=2.5 is not a whole number; using 2"),
        ("8.9", 4, "m=8.9 is outside 1..8; using the default 4"),  # the range counts first, as in Streamlit
        ("3.0", 3, None),  # a whole number written with a point is that number
        ("1e0", 1, None),
        ("0.5", 4, "m=0.5 is outside 1..8; using the default 4"),
    ],
)
def test_a_fraction_for_a_whole_number_names_the_value_used(raw, value, expected):
    assert link_values({"m": raw}, PARAMS)["m"] == (value, expected)


def test_a_long_value_is_quoted_short_and_on_one_line():
    [message] = invalid_params({"field": "x" * 5000 + "\n<b>"}, PARAMS)
    assert len(message) < 150 and "\n" not in message and "…" in message


def test_every_bad_parameter_gets_its_own_message():
    messages = invalid_params({"m": "9", "n1": "x", "lock": "2"}, PARAMS)
    assert [message.split("=")[0] for message in messages] == ["m", "n1", "lock"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"m": 4, "n1": 2.0, "lock": True, "field": "off"}, ""),
        ({"m": 2, "n1": 2.0, "lock": True, "field": "off"}, "m=2"),
        ({"m": 4, "n1": 1.5, "lock": False, "field": "L-Softmax"}, "n1=1.5&lock=false&field=L-Softmax"),
        ({"m": 4, "n1": 3.0}, "n1=3"),
    ],
)
def test_link_query_holds_only_non_default_values(values, expected):
    assert link_query(values, PARAMS) == expected


def test_with_default_keeps_everything_else():
    moved = M.with_default(6)
    assert (moved.key, moved.default, moved.low, moved.high) == ("m", 6, 1, 8)


@pytest.mark.parametrize(
    ("current", "base_path", "page", "expected"),
    [
        # the browser's URL already names the page it is on: it must not be repeated
        ("http://127.0.0.1:8501/multiclass", "", "multiclass", "http://127.0.0.1:8501/multiclass"),
        ("http://127.0.0.1:8501/psi", "", "binary", "http://127.0.0.1:8501/binary"),
        ("http://127.0.0.1:8501/", "", "", "http://127.0.0.1:8501/"),
        ("https://lab.example.org/course/psi", "/course/", "psi", "https://lab.example.org/course/psi"),
        ("", "", "binary", "/binary"),
    ],
)
def test_page_url_names_the_page_once(current, base_path, page, expected):
    assert page_url(current, base_path, page) == expected
