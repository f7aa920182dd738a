"""Every control lives in the URL: a Param describes one bound control (key, default, limits),
the widget helpers bind it with bind="query-params", link_values reads an incoming link (the
last of a repeated key, a fraction for a whole number toward zero) and says in a sentence what
was not used as written, notice_invalid_params shows those sentences as plain text and starts
each widget at the value they name, and share_link shows the link.

Usage on a page: declare the Params, call notice_invalid_params(PARAMS) before any widget,
build the widgets with slider/checkbox/choice, then show_share_link(page_path, PARAMS).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

import streamlit as st

from app import notices

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


def _number_value(param: Param, raw: str) -> tuple[int | float, str | None]:
    """The value a number param takes from raw, and why it differs from raw (None when it does not)."""
    shown, default = notices.shorten(raw), param.default
    try:
        value = float(raw)
    except ValueError:
        return default, f"{param.key}={shown} is not a number; using the default {default}"
    if not math.isfinite(value):
        return default, f"{param.key}={shown} is not a finite number; using the default {default}"
    if not param.low <= value <= param.high:
        return default, f"{param.key}={shown} is outside {param.low:g}..{param.high:g}; using the default {default}"
    if not isinstance(default, int):
        return value, None
    if value.is_integer():
        return int(value), None
    whole = int(value)  # toward zero, as Streamlit's integer slider reads a fraction
    if not param.low <= whole <= param.high:
        return default, f"{param.key}={shown} is not a whole number; using the default {default}"
    return whole, f"{param.key}={shown} is not a whole number; using {whole}"


def _value(param: Param, raw: str) -> tuple[int | float | bool | str, str | None]:
    """The value param takes from the link's raw text, and a sentence when that is not raw itself."""
    shown = notices.shorten(raw)
    if raw == "":
        return param.default, f"{param.key} is empty; using the default {param.default}"
    if isinstance(param.default, bool):
        if raw.lower() in TRUE_WORDS:
            return raw.lower() == "true", None
        return param.default, f"{param.key}={shown} is not true or false; using the default {param.default}"
    if param.options:
        if raw in param.options:
            return raw, None
        return param.default, f"{param.key}={shown} is not one of {', '.join(param.options)}; using the default"
    return _number_value(param, raw)


def _given(key: str, raws: Sequence[str]) -> str:
    shown = ", ".join(notices.shorten(raw, 20) for raw in raws[:5]) + (", …" if len(raws) > 5 else "")
    return f"{key} is given {len(raws)} times ({shown})"


def repeated_keys(query: Mapping[str, Sequence[str] | str], keys: Sequence[str]) -> list[str]:
    """A sentence for every key of keys that query gives more than once (for pages that read the link by hand)."""
    return [
        f"{_given(key, query[key])}; the last counts"
        for key in keys
        if key in query and not isinstance(query[key], str) and len(query[key]) > 1
    ]


def link_values(query: Mapping[str, Sequence[str] | str], params: Sequence[Param]) -> dict[str, tuple]:
    """For every param in query: key -> (the value used, a sentence when that is not the link's text).

    A key given several times counts with its last value, and the sentence says so.
    """
    outcomes = {}
    for param in params:
        if param.key not in query:
            continue
        raws = query[param.key]
        raws = [raws] if isinstance(raws, str) else list(raws) or [""]
        value, problem = _value(param, raws[-1])
        if len(raws) > 1:
            using = problem.split("; ", 1)[-1] if problem else f"using the last, {_url_text(value)}"
            problem = f"{_given(param.key, raws)}; {using}"
        outcomes[param.key] = (value, problem)
    return outcomes


def invalid_params(query: Mapping[str, Sequence[str] | str], params: Sequence[Param]) -> list[str]:
    """Messages for every parameter of params whose value in query is not used as it stands."""
    return [problem for _, problem in link_values(query, params).values() if problem]


def notice_invalid_params(params: Sequence[Param]) -> list[str]:
    """Warn about every value in the incoming link that is not used as it stands. Call before the widgets.

    A widget the session does not hold yet starts at exactly the value this module read from
    the link (Streamlit alone reads some differently: a repeated key, "3.0" for a page number).
    """
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    outcomes = link_values(query, params)
    for key, (value, _) in outcomes.items():
        if key not in st.session_state:
            st.session_state[key] = value
    messages = [problem for _, problem in outcomes.values() if problem]
    if messages:
        notices.warning("Some settings in this link were ignored:", messages, icon=":material/link:")
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
    """A horizontal st.radio over param.options, bound to the URL. A bound radio writes the text it
    shows into the URL, so options are shown as they are (describe them with captions=)."""
    if "format_func" in kwargs:
        raise TypeError("a URL-bound radio writes its shown text into the URL: describe options with captions=")
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
