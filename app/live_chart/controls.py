"""The controls a live chart carries (a bar above the plot) and the values they send back.

A Control names a URL-bound links.Param (its limits and default are the Param's: one source),
the label the bar shows and the slider step. live_spec packs what the browser needs: the
kind of figure it recomputes (a key of KINDS in live_chart.js), the current values, the
controls and the constants of the figure. apply_settled writes the values a released control
sent back into the page's widget state (checked against the same Params), so the sidebar,
the readouts and the URL follow, as if the sidebar's own slider had moved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from app.links import Param

KINDS = ("binary", "multiclass", "psi")  # figures live_chart.js can recompute


@dataclass(frozen=True)
class Control:
    """One slider of a live chart's bar."""

    param: Param  # the URL-bound value it moves (key, limits)
    label: str  # what the bar shows, short: the bar is one line on a projector
    step: float = 1  # slider step
    unit: str = ""  # appended to the shown value, e.g. "°"

    def spec(self) -> dict:
        """The JSON the browser builds the slider from."""
        return {"key": self.param.key, "label": self.label, "min": self.param.low, "max": self.param.high,
                "step": self.step, "unit": self.unit}  # fmt: skip


def live_spec(kind: str, values: Mapping, controls: Sequence, constants: Mapping) -> dict:
    """What live_chart sends with the figure so the browser can redraw it while a control moves.

    controls: Control objects, or plain dicts for controls that are not one Param (e.g. a class
    picker); constants: the figure's numbers (extents, radii) from the Python figure code.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    specs = [control.spec() if isinstance(control, Control) else dict(control) for control in controls]
    return {"kind": kind, "values": dict(values), "controls": specs, "constants": dict(constants)}


def checked_value(param: Param, raw):
    """raw as a valid value of param (a number within its limits, an int for int params), or None."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        return None
    if not param.low <= raw <= param.high:
        return None
    if isinstance(param.default, int):
        return int(raw) if float(raw).is_integer() else None
    return float(raw)


def apply_settled(values: Mapping, params: Sequence[Param]) -> list[str]:
    """Callback body: store each valid value under its Param's widget key; returns the keys ignored.

    Runs before the widgets of the next run exist, which is when Streamlit allows it.
    """
    by_key = {param.key: param for param in params}
    ignored = []
    for key, raw in values.items():
        param = by_key.get(key)
        value = None if param is None else checked_value(param, raw)
        if value is None:
            ignored.append(key)
        elif st.session_state.get(key) != value:
            st.session_state[key] = value
    return ignored
