"""psi (Figure 3), the lambda-blended target, cos(m theta) written out, and the lambda schedules."""

from pathlib import Path

import numpy as np
import streamlit as st

from app import links, presenter, sharing
from app.explorer_controls import LAMBDA, M_MAX, PSI_M, PSI_POINTS, psi_live
from app.figures.gif import png_export_config
from app.figures.psi import polynomial_latex, psi_figure, schedule_figure
from app.figures.scenes import psi_samples, schedule_samples
from app.figures.style import CURVE_HEIGHT
from app.live_chart import live_chart
from app.live_chart.controls import apply_settled
from lab.explain import blended_psi, chebyshev_coefficients
from lsoftmax import LambdaSchedule, MultiplicativeSchedule

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CURVE_POINTS = PSI_POINTS
SCHEDULE_POINTS = 400
M = PSI_M
BASE = links.Param("base", 1000.0, 0.0, 1e6)
GAMMA = links.Param("gamma", 2.5e-5, 0.0, 1.0)
POWER = links.Param("power", 35.0, 0.0, 1000.0)
LAMBDA_MIN = links.Param("lmin", 0.0, 0.0, 1e4)
START = links.Param("start", 100.0, 0.0, 1e6)
FACTOR = links.Param("factor", 0.99, 0.5, 1.0)
FLOOR = links.Param("floor", 0.0, 0.0, 1e4)
ITERATIONS = links.Param("iters", 20000, 100, 200000)
LOG = links.Param("log", True)
PARAMS = (M_MAX, M, LAMBDA, BASE, GAMMA, POWER, LAMBDA_MIN, START, FACTOR, FLOOR, ITERATIONS, LOG)


def curve_controls() -> dict:
    """Sidebar controls of the psi plot."""
    with st.sidebar:
        st.header("ψ curve")
        values = {"m_max": links.slider(M_MAX, "show ψ for m = 1 … M")}
        values["m"] = links.slider(M, "m for the blend and the expansion")
        values["lam"] = links.slider(LAMBDA, "λ (blend weight)", step=0.1)
    return values


def schedule_controls() -> dict:
    """Sidebar controls of both lambda schedules."""
    with st.sidebar:
        st.header("λ schedules")
        st.caption("Power law: max(λmin, base (1 + γ t)^(−power))")
        values = {"base": links.number(BASE, "base", step=100.0)}
        values["gamma"] = links.number(GAMMA, "γ", step=1e-6, format="%.2e")
        values["power"] = links.number(POWER, "power", step=1.0)
        values["lambda_min"] = links.number(LAMBDA_MIN, "λmin", step=0.5)
        st.caption("Multiplicative: max(floor, start · factor^t)")
        values["start"] = links.number(START, "start", step=10.0)
        values["factor"] = links.number(FACTOR, "factor", step=0.001, format="%.3f")
        values["floor"] = links.number(FLOOR, "floor", step=0.5)
        values["iterations"] = links.slider(ITERATIONS, "iterations shown", step=100)
        values["log"] = links.checkbox(LOG, "log scale")
    return values


@st.cache_data(max_entries=64, show_spinner=False)
def psi_chart(m_max: int, m: int, lam: float):
    """psi for m = 1..m_max, cos, and the blend for (m, lam), cached."""
    theta, curves, cosine = psi_samples(m_max, CURVE_POINTS)
    blended = blended_psi(theta, m, lam)
    label = f"blend, m = {m}, λ = {lam:g}"
    return psi_figure(np.degrees(theta), curves, cosine, blended, label)


def settle(values: dict) -> None:
    """A slider above the psi chart was released: its values become the page's (sidebar, URL)."""
    apply_settled(values, PARAMS)


def schedule_curves(values: dict):
    """(iterations, {label: lambda values}) for both schedules."""
    power_law = LambdaSchedule(values["base"], values["gamma"], values["power"], values["lambda_min"])
    multiplicative = MultiplicativeSchedule(values["start"], values["factor"], values["floor"])
    schedules = {"power law (paper's code)": power_law, "multiplicative": multiplicative}
    steps, curves = schedule_samples(schedules, values["iterations"], SCHEDULE_POINTS)
    return steps, curves, power_law


def expansion(m: int) -> None:
    """cos(m theta) written out with exact integer coefficients."""
    st.markdown(f"**cos(mθ) for m = {m}** as a polynomial of $c = \\cos\\theta$ (eq 7, Chebyshev $T_{{{m}}}$):")
    st.latex(rf"\cos({m}\theta) = {polynomial_latex(chebyshev_coefficients(m))}")


def schedule_readouts(power_law) -> None:
    """lambda at iterations 1 and 10,000, and the base = 1, gamma = 0 trap."""
    left, right = st.columns(2)
    left.metric("λ at iteration 1", f"{power_law(1):.6g}")
    right.metric("λ at iteration 10,000", f"{power_law(10000):.6g}")
    if power_law.base == 1 and power_law.gamma == 0:
        st.warning("base = 1 and γ = 0: λ stays 1 forever. This is the trap of the reference code's defaults.")


st.title("ψ and λ: the paper's Figure 3")
links.notice_invalid_params(PARAMS)
curve = curve_controls()
schedule = schedule_controls()
if presenter.enabled():
    left, right = st.container(), st.container()
else:  # keyed: the page CSS wraps the lambda chart below the psi chart where the row is narrow
    left, right = st.container(key="figure-row").columns(2, gap="medium")
with left:
    live_chart(
        psi_chart(curve["m_max"], curve["m"], curve["lam"]),
        key="psi",
        height=CURVE_HEIGHT,
        config=png_export_config("lsoftmax-psi"),
        live=psi_live(curve["m_max"], curve["m"], curve["lam"]),
        on_settle=settle,
    )
    expansion(curve["m"])
with right:
    steps, curves, power_law = schedule_curves(schedule)
    live_chart(
        schedule_figure(steps, curves, schedule["log"]),
        height=CURVE_HEIGHT,
        key="schedule",
        config=png_export_config("lsoftmax-lambda-schedule"),
    )
    schedule_readouts(power_law)
st.markdown((ASSETS / "psi.md").read_text())
sharing.show_share("psi", PARAMS)
