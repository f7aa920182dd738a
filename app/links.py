"""Every control lives in the URL: a Param describes one bound control (key, default, limits),
the widget helpers bind it with bind="query-params", invalid_params explains what is wrong
with an incoming link (before the widgets quietly drop it), and share_link shows the link.

Usage on a page: declare the Params, call notice_invalid_params(PARAMS) before any widget,
build the widgets with slider/checkbox/choice, then show_share_link(page_path, PARAMS).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

import streamlit as st

BIND = "query-params"
TRUE_WORDS = ("true", "false")


@dataclass(frozen=True)
class Param:
    """One URL-bound control. Numbers need low/high; choices need options; booleans need neither."""

    key: str  # the widget key and the URL parameter name
    default: int | float | bool | str
    low: float | None = None  # inclusive, for numbers
    high: float | None = None  # inclusive, for numbers
    options: tuple[str, ...] = ()  # allowed values of a choice

    def with_default(self, default) -> Param:
        """The same control with another default (e.g. one that depends on another control)."""
        return replace(self, default=default)


def _number_problem(param: Param, raw: str) -> str | None:
    try:
        value = float(raw)
    except ValueError:
        return f"{param.key}={raw} is not a number; using the default {param.default}"
    if not math.isfinite(value):
        return f"{param.key}={raw} is not a finite number; using the default {param.default}"
    if not param.low <= value <= param.high:
        return f"{param.key}={raw} is outside {param.low:g}..{param.high:g}; using the default {param.default}"
    if isinstance(param.default, int) and not value.is_integer():
        return f"{param.key}={raw} is not a whole number; using {int(value)}"
    return None


def _problem(param: Param, raw: str) -> str | None:
    """Why raw is not a valid value of param, as a sentence, or None when it is valid."""
    if raw == "":
        return f"{param.key} is empty; using the default {param.default}"
    if isinstance(param.default, bool):
        ok = raw.lower() in TRUE_WORDS
        return None if ok else f"{param.key}={raw} is not true or false; using the default {param.default}"
    if param.options:
        ok = raw in param.options
        return None if ok else f"{param.key}={raw} is not one of {', '.join(param.options)}; using the default"
    return _number_problem(param, raw)


def invalid_params(query: Mapping[str, Sequence[str] | str], params: Sequence[Param]) -> list[str]:
    """Messages for every parameter of params whose value in query is invalid (last value counts)."""
    messages = []
    for param in params:
        if param.key not in query:
            continue
        raw = query[param.key]
        raw = raw if isinstance(raw, str) else (raw[-1] if raw else "")
        problem = _problem(param, raw)
        if problem:
            messages.append(problem)
    return messages


def notice_invalid_params(params: Sequence[Param]) -> list[str]:
    """Warn, on the page, about every invalid value in the incoming link. Call before the widgets."""
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    messages = invalid_params(query, params)
    if messages:
        st.warning("Some settings in this link were ignored:\n\n" + "\n".join(f"- {m}" for m in messages), icon="🔗")
    return messages


def slider(param: Param, label: str, **kwargs):
    """st.slider bound to the URL, with param's limits and default."""
    low, high = param.low, param.high
    if isinstance(param.default, int):
        low, high = int(low), int(high)
    return st.slider(label, low, high, param.default, key=param.key, bind=BIND, **kwargs)


def number(param: Param, label: str, **kwargs):
    """st.number_input bound to the URL, with param's limits and default."""
    return st.number_input(
        label, min_value=param.low, max_value=param.high, value=param.default, key=param.key, bind=BIND, **kwargs
    )


def checkbox(param: Param, label: str, **kwargs) -> bool:
    """st.toggle bound to the URL."""
    return st.toggle(label, value=param.default, key=param.key, bind=BIND, **kwargs)


def choice(param: Param, label: str, **kwargs) -> str:
    """A horizontal st.radio over param.options, bound to the URL."""
    index = param.options.index(param.default)
    return st.radio(label, param.options, index=index, key=param.key, bind=BIND, horizontal=True, **kwargs)


def _url_text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def link_query(values: Mapping[str, object], params: Sequence[Param]) -> str:
    """The query string of a link: every value that differs from its default, in params' order."""
    pairs = [
        (param.key, _url_text(values[param.key]))
        for param in params
        if param.key in values and values[param.key] != param.default
    ]
    return urlencode(pairs)


def page_url(current_url: str, base_path: str, page_path: str) -> str:
    """The URL of page_path in the app that current_url (any page of it) belongs to.

    current_url already holds the page the browser is on, so only its scheme and host are
    kept; base_path is the server's baseUrlPath. Relative ("/binary") when the URL is unknown.
    """
    parts = urlsplit(current_url or "")
    root = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    segments = [segment for segment in (base_path.strip("/"), page_path.strip("/")) if segment]
    return f"{root}/{'/'.join(segments)}"


def share_link(page_path: str, params: Sequence[Param]) -> str:
    """The link that reopens this page in its current state (absolute when the browser URL is known)."""
    values = {param.key: st.session_state[param.key] for param in params if param.key in st.session_state}
    query = link_query(values, params)
    path = page_url(st.context.url or "", st.get_option("server.baseUrlPath") or "", page_path)
    return f"{path}?{query}" if query else path


def show_share_link(page_path: str, params: Sequence[Param]) -> str:
    """A labelled code block with the link (its copy button copies it)."""
    link = share_link(page_path, params)
    st.caption("Link to exactly this view (use the copy button on the right):")
    st.code(link, language=None, wrap_lines=True)
    return link
