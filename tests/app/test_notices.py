"""app.notices: user text in a message is shortened, kept on one line and shown as text.

The markdown made here is checked against the rules that would turn it into something else:
CommonMark's inline constructs (links, images, tags, code, emphasis), GitHub's autolink literals
as remark-gfm finds them in parsed text, and Streamlit's :shortcodes:.
"""

import re

import pytest

from app.notices import ELLIPSIS, MESSAGE_LIMIT, as_markdown_text, plain_text, shorten

# The patterns that turn text into links after parsing (mdast-util-gfm-autolink-literal) and
# Streamlit's emoji / icon shortcodes.
AUTOLINK_URL = re.compile(r"(?i)(https?://|www(?=\.))[-.\w]+")
AUTOLINK_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+")
SHORTCODE = re.compile(r":[\w+/-]+:")
UNESCAPED = re.compile(r"(?<!\\)(?:\\\\)*[`*\[\]<>&~$|]")  # an inline markdown character left live
LIVE_UNDERSCORE = re.compile(r"(?<![\\\w])_|(?<!\\)_(?!\w)")  # "_" that could open or close emphasis

HOSTILE = [
    "[click here](https://evil.example/phish)",
    "![x](https://evil.example/t.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "https://evil.example/a?b=c",
    "www.evil.example",
    "mail me: someone@evil.example",
    ":red[alarm] :material/warning: :smile:",
    "$\\frac{1}{0}$",
    "**bold** _it_ ~~gone~~ `code` snake_case __dunder__",
    "# heading",
    "1. list",
    "> quote",
    "a | b\n---|---",
    "&lt;b&gt; &#x3C;",
    "\\[escaped\\]",
    "line\nbreak\r\nand\ttab\x00\x1b[31m",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_escaped_and_reads_back_unchanged(text):
    markdown = as_markdown_text(text)
    assert plain_text(markdown) == shorten(text, MESSAGE_LIMIT)
    assert not UNESCAPED.search(markdown) and not LIVE_UNDERSCORE.search(markdown), markdown
    visible = markdown.replace("\\", "")
    assert not AUTOLINK_URL.search(visible) and not AUTOLINK_EMAIL.search(visible), markdown
    assert not SHORTCODE.search(visible), markdown
    assert "\n" not in markdown


@pytest.mark.parametrize("text", ["# heading", "- item", "+ item", "= underline", "> quote", "12. item", "3) item"])
def test_a_line_start_is_never_a_block(text):
    markdown = as_markdown_text(text)
    assert markdown.startswith("\\") or re.match(r"\d+\\[.)]", markdown), markdown


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 60, "short"),
        ("a" * 61, 60, "a" * 59 + ELLIPSIS),
        ("two\n\nlines  and\ttabs", 60, "two lines and tabs"),
        ("   padded   ", 60, "padded"),
    ],
)
def test_shorten(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_a_huge_message_is_cut():
    assert len(plain_text(as_markdown_text("x" * 100_000))) == MESSAGE_LIMIT


def test_ordinary_messages_stay_readable():
    """Plain sentences (numbers, =, colons, dots) keep their characters: tests and people can read them."""
    message = "m=2.5 is not a whole number; using 2. bad.csv: The file is 2.0 MB"
    assert as_markdown_text(message) == message
