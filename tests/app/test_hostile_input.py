"""Hostile links and uploads on every page (hypothesis): no exception, no hang, and nothing the
user sent comes back as a live link, an image, a tag or formatting.

Every generated value carries the word "evil"; any rendered element whose text contains it is
checked for markdown that would not show as text: a link or image, an HTML tag, a bare URL,
www. or e-mail address that GitHub-flavoured markdown would link, a Streamlit :shortcode:.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app.notices import QUOTE_LIMIT, WORD_JOINER, plain_text, shorten
from lab.user_data import MAX_BYTES

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ROOT / "app" / "views"
ENTRY = str(ROOT / "app" / "streamlit_app.py")
PAGES = {  # page -> the URL keys it reads
    "binary": ("m", "n1", "n2", "lock", "t12", "xa", "xn", "field", "sweep"),
    "multiclass": ("k", "m", "a1", "n1", "a2", "n10"),
    "psi_curve": ("mmax", "m", "lam", "base", "gamma", "iters", "log"),
    "lesson": ("step",),
    "train": (
        "dataset",
        "m",
        "n_samples",
        "compare_ms",
        "batch_size",
        "activation",
        "run",
        "lambda_kind",
        "feature_dim",
    ),
    "sphere": ("preset", "k", "seed", "unequal", "loss", "m", "cm", "am", "m1"),
}
SECONDS_PER_RUN = 60  # a run slower than this is a hang

# Markup that would not show as text (the same rules as tests/app/test_notices.py).
LIVE = [
    re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\("),  # [text](url) and ![alt](src)
    re.compile(r"(?<!\\)<[A-Za-z/!?]"),  # an HTML tag or an <autolink>
    re.compile(r"(?i)(https?://|www\.)[-\w]"),  # GFM autolink literals (a word joiner breaks them)
    re.compile(r"[-.\w+]+@[-\w]+\.\w"),
    re.compile(r":[\w+/-]+:"),  # :smile:, :material/icon:
    re.compile(r"(?<!\\)(\*\*|~~|`|\$)"),
]

PAYLOADS = st.sampled_from(
    [
        "[click here](https://evil.example/phish)",
        "![x](https://evil.example/t.png)",
        "<img src=https://evil.example/i.png>",
        "<b>evil</b>",
        "https://evil.example",
        "www.evil.example",
        "me@evil.example",
        ":red[evil] :material/warning: :smile:",
        "**evil** `evil` $evil$",
        "# evil",
        "evil" * 1500,
        "1. evil\n- evil\n> evil",
    ]
)
VALUES = st.one_of(
    PAYLOADS,
    st.builds(lambda text: f"evil{text}", st.text(max_size=80)),
    st.builds(lambda number: f"evil{number}", st.floats(allow_nan=True, allow_infinity=True)),
)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-(10**30), 10**30).map(str), st.just("")
)


def rendered_texts(at: AppTest) -> list[str]:
    """The markdown of every element that Streamlit renders as markdown."""
    elements = [*at.markdown, *at.caption, *at.warning, *at.error, *at.info, *at.success, *at.title, *at.header]
    elements += [*at.subheader, *at.toast]
    return [element.value for element in elements]


def check_page(at: AppTest) -> None:
    assert not at.exception, [exception.value for exception in at.exception]
    for text in rendered_texts(at):
        if "evil" not in text.replace(WORD_JOINER, "").lower():
            continue
        for pattern in LIVE:
            assert not pattern.search(text), (pattern.pattern, text[:300])
        assert "evil" * (QUOTE_LIMIT // 4 + 2) not in plain_text(text), "a long value was not shortened"


def open_page(page: str, query: dict) -> AppTest:
    if page == "lesson":  # its explorer links need the navigation
        at = AppTest.from_file(ENTRY, default_timeout=SECONDS_PER_RUN)
        at.switch_page("views/lesson.py")
    else:
        at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=SECONDS_PER_RUN)
    for key, value in query.items():
        at.query_params[key] = value
    began = time.monotonic()
    at.run()
    assert time.monotonic() - began < SECONDS_PER_RUN
    return at


def queries(page: str):
    keys = st.sampled_from(PAGES[page] + ("evil[x](https://evil.example)",))
    values = st.one_of(VALUES, NUMBERS, st.lists(st.one_of(VALUES, NUMBERS), min_size=2, max_size=3))
    return st.dictionaries(keys, values, min_size=1, max_size=3)


FUZZ = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@FUZZ
@given(query=queries("binary"))
@example(query={"m": "[click here](https://evil.example/phish)"})
@example(query={"m": ["3", "5"], "n1": "![x](https://evil.example/t.png)"})
def test_binary_links(query):
    check_page(open_page("binary", query))


@FUZZ
@given(query=queries("multiclass"))
@example(query={"k": "evil" * 1500})
def test_multiclass_links(query):
    check_page(open_page("multiclass", query))


@FUZZ
@given(query=queries("psi_curve"))
@example(query={"base": "<img src=https://evil.example/i.png>"})
def test_psi_links(query):
    check_page(open_page("psi_curve", query))


@FUZZ
@given(query=queries("lesson"))
@example(query={"step": "2.5"})
@example(query={"step": ["2", "[click](https://evil.example)"]})
def test_lesson_links(query):
    check_page(open_page("lesson", query))


@FUZZ
@given(query=queries("train"))
@example(query={"dataset": "[click here](https://evil.example/phish)"})
@example(query={"dataset": "evil" * 1500, "m": "![x](https://evil.example/t.png)"})
def test_train_links(query):
    check_page(open_page("train", query))


@FUZZ
@given(query=queries("sphere"))
@example(query={"member": "[click here](https://evil.example/phish)", "feature_dim": "3"})
@example(query={"preset": "evil" * 1500, "am": ["17", "![x](https://evil.example/t.png)"]})
def test_sphere_links(query):
    check_page(open_page("sphere", query))


def csv_rows(labels: list[str]) -> bytes:
    return "".join(f"{i % 7},{i % 5},{labels[i % len(labels)]}\n" for i in range(3 * len(labels))).encode()


UPLOADS = st.one_of(
    st.lists(VALUES.map(lambda text: text.replace(",", " ")), min_size=1, max_size=12).map(csv_rows),
    st.binary(max_size=300).map(lambda data: b"evil," + data),
    VALUES.map(lambda text: text.encode("utf-8", "replace")),
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(name=VALUES.map(lambda text: text + ".csv"), content=UPLOADS)
@example(name="![x](https://evil.example/t.png).csv", content=csv_rows(["[a](https://evil.example)", "b"]))
@example(name="evil-big.csv", content=b"1,2,0\n" * (MAX_BYTES // 6 + 1))
def test_uploads(name, content):
    at = open_page("train", {})
    at.file_uploader(key="train_csv").set_value((name, content, "text/csv")).run()
    check_page(at)
    for error in at.error:  # an error about this upload names this file, shortened
        shown = plain_text(error.value)
        assert shown.startswith(shorten(name) + ":"), shown[:120]
