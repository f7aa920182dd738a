"""Messages that may quote what a user sent (link values, file names, CSV labels), shown as text.

Streamlit renders the body of st.warning/st.error/st.info as GitHub-flavoured markdown, with
extras of its own (emoji and icon shortcodes, coloured text, LaTeX). A link value such as
`[click](https://evil.example)` would become a live link, `![x](...)` a remote image. Every page
shows such messages through warning/error/info below: the text is shortened, put on one line,
and escaped so that markdown shows it character for character.
"""

from __future__ import annotations

import re

import streamlit as st

QUOTE_LIMIT = 60  # characters of one user value repeated in a message
MESSAGE_LIMIT = 400  # characters of one whole message (several quoted values and the sentence)
ELLIPSIS = "…"
WORD_JOINER = "\u2060"  # invisible; breaks the patterns that GFM and Streamlit turn into links/emoji

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\s]+")
# Characters that open inline markdown anywhere in a line (emphasis, code, links and images via
# "[", tags and autolinks via "<", entities, strike-through, LaTeX, tables, the escape itself).
_INLINE = re.compile(r"([\\`*\[\]<>&~$|]|(?<![^\W_])_|_(?![^\W_]))")  # "_" inside a word is not emphasis
_LINE_START = re.compile(r"^([#>+=-]|\d+[.)])")  # a heading, quote, list or underline at the start of a line
# Found in text after parsing, where escapes no longer count: bare URLs, www. and e-mail
# addresses (GFM autolink literals), :shortcodes: and :material/icons: (Streamlit).
_AFTER_PARSING = re.compile(r"(?i)(?<=www)(?=\.)|(?<=\w)(?=@)|(?<=:)(?=\S)")


def shorten(text: object, limit: int = QUOTE_LIMIT) -> str:
    """text on one line (control characters and runs of white space become one space), at most limit chars."""
    flat = _CONTROL.sub(" ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + ELLIPSIS


def as_markdown_text(text: object) -> str:
    """Markdown source that Streamlit shows as exactly this (one-line) text: no link, image, tag or format."""
    joined = _AFTER_PARSING.sub(WORD_JOINER, shorten(text, MESSAGE_LIMIT))  # first: an escape must stay whole
    escaped = _INLINE.sub(r"\\\1", joined)
    return _LINE_START.sub(lambda match: match.group(0)[:-1] + "\\" + match.group(0)[-1], escaped)


def plain_text(markdown: str) -> str:
    """The text as_markdown_text's output shows (for tests and logs): escapes and word joiners removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def _body(message: object, items: list | tuple) -> str:
    lines = [as_markdown_text(message)]
    if items:
        lines.append("\n".join(f"- {as_markdown_text(item)}" for item in items))
    return "\n\n".join(lines)


def warning(message: object, items: list | tuple = (), **kwargs) -> None:
    """st.warning with message (and a bullet per item) shown as plain text."""
    st.warning(_body(message, items), **kwargs)


def error(message: object, items: list | tuple = (), **kwargs) -> None:
    """st.error with message (and a bullet per item) shown as plain text."""
    st.error(_body(message, items), **kwargs)


def info(message: object, items: list | tuple = (), **kwargs) -> None:
    """st.info with message (and a bullet per item) shown as plain text."""
    st.info(_body(message, items), **kwargs)


def toast(message: object, **kwargs) -> None:
    """st.toast with message shown as plain text."""
    st.toast(as_markdown_text(message), **kwargs)
