"""Figure 3 and the lambda schedule: pure figure functions, plus the LaTeX of cos(m theta)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from app.figures.style import CURVE_HEIGHT, SOFTMAX_COLOR, base_layout, class_color

# Legends sit under the plot, never over the curves (the psi(pi) ends, a narrow lambda chart).
LEGEND_BELOW = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.22, "yanchor": "top", "font": {"size": 15}}


def polynomial_latex(coefficients, variable: str = "c") -> str:
    """LaTeX of sum_n coefficients[n] variable^n, highest power first: [1, 0, -8, 0, 8] -> 8c^{4} - 8c^{2} + 1."""
    terms = []
    for power in range(len(coefficients) - 1, -1, -1):
        coefficient = int(coefficients[power])
        if coefficient == 0:
            continue
        size = abs(coefficient)
        body = variable if power == 1 else f"{variable}^{{{power}}}" if power else ""
        number = "" if size == 1 and power else str(size)
        sign = "-" if coefficient < 0 else "+"
        terms.append((sign, f"{number}{body}"))
    if not terms:
        return "0"
    first_sign, first = terms[0]
    text = ("-" if first_sign == "-" else "") + first
    return text + "".join(f" {sign} {term}" for sign, term in terms[1:])


def psi_figure(theta_deg, psi_curves: dict, cosine, blended=None, blended_label: str = "") -> go.Figure:
    """psi(theta) for several m against cos(theta); theta in degrees, curves (N,) float arrays."""
    theta = np.asarray(theta_deg, np.float32)
    figure = go.Figure()
    figure.add_scatter(
        x=theta, y=np.asarray(cosine, np.float32), name="cos θ (softmax)",
        line={"color": SOFTMAX_COLOR, "width": 3, "dash": "dash"},
    )  # fmt: skip
    for index, (label, values) in enumerate(psi_curves.items()):
        figure.add_scatter(
            x=theta, y=np.asarray(values, np.float32), name=label, line={"color": class_color(index), "width": 2.5}
        )
    if blended is not None:
        figure.add_scatter(
            x=theta, y=np.asarray(blended, np.float32), name=blended_label,
            line={"color": "#000000", "width": 4, "dash": "dot"},
        )  # fmt: skip
    lowest = min(-1.0, *(float(np.min(values)) for values in psi_curves.values()))
    figure.update_layout(
        **base_layout(
            CURVE_HEIGHT,
            title={"text": "ψ(θ) for m = 1 … M (Figure 3)", "x": 0.02},
            legend=LEGEND_BELOW,
        ),
        xaxis={"title": "θ (degrees)", "range": [0, 180], "dtick": 30},
        uirevision="psi",  # new curves keep the user's zoom
        yaxis={"title": "target logit / (|W||x|)", "range": [lowest - 0.5, 1.5]},
    )
    return figure


LOG_FLOOR = 1e-3  # the log axis stops here: smaller lambdas are softmax-free for every practical purpose


def _lambda_axis(curves: dict, log_y: bool) -> dict:
    top = max(float(np.max(values)) for values in curves.values())
    if not log_y:
        return {"title": "λ", "type": "linear", "range": [0, 1.05 * max(top, 1.0)]}
    # dtick 1: one label per decade; plotly's in-between "2" and "5" labels are 3/4 size, too small to project.
    span = [np.log10(LOG_FLOOR), np.log10(max(top, 1.0)) + 0.3]
    return {"title": "λ (log)", "type": "log", "dtick": 1, "range": span}


def schedule_figure(iterations, curves: dict, log_y: bool) -> go.Figure:
    """lambda against the training iteration for each schedule; curves map labels to (N,) arrays."""
    figure = go.Figure()
    steps = np.asarray(iterations, np.float32)
    for index, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, np.float64)
        shown = np.where(values > 0, values, np.nan) if log_y else values  # log axes cannot show 0
        figure.add_scatter(
            x=steps, y=shown.astype(np.float32), name=label, line={"color": class_color(index), "width": 3}
        )
    figure.update_layout(
        **base_layout(
            CURVE_HEIGHT,
            title={"text": "λ over training", "x": 0.02},
            legend=LEGEND_BELOW,
        ),
        xaxis={"title": "iteration", "range": [0, float(steps[-1])]},
        yaxis=_lambda_axis(curves, log_y),
        # New parameters keep the user's zoom; a new scale or span of iterations resets it.
        uirevision=f"lambda-{'log' if log_y else 'linear'}-{float(steps[-1]):g}",
    )
    return figure
