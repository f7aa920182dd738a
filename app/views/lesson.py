"""A guided lesson, from plain softmax to the margin and on to L-Softmax's successors (A-Softmax,
CosFace, ArcFace, the combined margin), one step at a time, bound to the URL (?step=3).

Each step shows its text (assets/lessons/NN-name.md), a small static figure drawn by the
explorers' own figure functions at the step's settings, and a link that opens exactly that
state in the explorer (a preset of app/presets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import streamlit as st

from app import family, links, presenter
from app.explorer_controls import binary_live, multiclass_live, psi_live
from app.figures.family import angle_plane_figure, wedge_margin_figure
from app.figures.geometry import plane_figure, sweep_figure
from app.figures.psi import psi_figure, schedule_figure
from app.figures.scenes import binary_view, multiclass_scene, psi_samples, schedule_samples
from app.key_navigation import arrow_keys
from app.live_chart import live_chart
from app.presets import PRESETS
from lab.settings import TrainSettings
from lsoftmax import LambdaSchedule

LESSONS = Path(__file__).resolve().parents[2] / "assets" / "lessons"
FIGURE_HEIGHT = 560  # px: the figure shares the row with the text
NO_MODE_BAR = {"displayModeBar": False}


@dataclass(frozen=True)
class Step:
    """One step of the lesson."""

    title: str
    text_file: str  # in assets/lessons
    preset: str  # key of app.presets.PRESETS: the state the figure shows and the link opens
    figure: str  # a key of FIGURES
    question: str = ""  # to ask the class (the printable handout prints it under the figure)


STEPS = (
    Step(
        "Plain softmax: one boundary, no margin",
        "01-softmax.md",
        "softmax-two-classes",
        "plane",
        "A feature lies exactly on the dashed line. Which class does softmax give it, and how sure is it?",
    ),
    Step(
        "ψ: the true class is handicapped",
        "02-psi.md",
        "figure3-psi",
        "psi",
        "Why must ψ(θ) never rise above cos θ for a margin to appear?",
    ),
    Step(
        "m = 2 opens a margin",
        "03-margin.md",
        "first-margin",
        "plane",
        "The margin is 30° at m = 2 and θ12 = 90°. How wide will it be at m = 4 (check with the slider)?",
    ),
    Step(
        "Unequal norms shift the boundaries",
        "04-norms.md",
        "figure4-w1-longer",
        "plane",
        "Which class gets the wider wedge when |W1| > |W2|? What does that mean for a rare class?",
    ),
    Step(
        "K classes and the margin table",
        "05-k-classes.md",
        "ten-classes-one-short",
        "multiclass",
        "Which neighbours have the smallest margin, and what would make it grow?",
    ),
    Step(
        "λ annealing: softmax first, the margin later",
        "06-lambda.md",
        "mnist-lambda",
        "schedule",
        "Why start training with a large λ and lower it later, instead of using the margin from step 1?",
    ),
    Step(
        "Training live: thinner wedges as m grows",
        "07-training.md",
        "figure2-live",
        "wedges",
        "As m grows, what happens to the wedges the features must reach, and to how hard training is?",
    ),
    Step(
        "Test time: the plain argmax decides",
        "08-test-time.md",
        "test-time-argmax",
        "plane",
        "At test time the plain argmax decides. Then why did the margin during training help?",
    ),
    Step(
        "A-Softmax: normalise W, and the norms stop mattering",
        "09-sphereface.md",
        "family-why-normalise",
        "family-plane",
        "Which class would a short W1 hurt under L-Softmax, and why does A-Softmax treat every class alike?",
    ),
    Step(
        "CosFace: a margin in the cosine",
        "10-cosface.md",
        "family-cosface",
        "family-wedge",
        "Why does CosFace's angular margin shrink as two classes move apart, while L-Softmax's grows?",
    ),
    Step(
        "ArcFace: a margin in the angle",
        "11-arcface.md",
        "family-arcface",
        "family-wedge",
        "ArcFace's margin is the same for every pair of classes. When is that better than a margin that grows?",
    ),
    Step(
        "The combined margin: all three at once",
        "12-combined.md",
        "family-combined",
        "family-plane",
        "Which of m1, m2 and m3 would you set to reproduce SphereFace, CosFace or ArcFace alone?",
    ),
)
STEP = links.Param("step", 1, 1, len(STEPS))
HANDOUT = "handout"  # ?handout=1: every step on one printable page
PRINT_CSS = """
<style>
@media print {
  section[data-testid="stSidebar"], header[data-testid="stHeader"], .stToggle, [data-testid="stToolbar"],
  .lsoftmax-live-controls, .stButton, [data-testid="stBaseLinkButton-secondary"] { display: none !important; }
  [data-testid="stMainBlockContainer"], .block-container { padding: 0 !important; max-width: 100% !important; }
  [class*="st-key-handout-step"] { break-inside: avoid; page-break-inside: avoid; }
}
</style>
"""


def plane(query: dict):
    """The two-class plane at a binary preset's settings."""
    m, norm1, theta12 = int(query["m"]), float(query["n1"]), float(query["t12"])
    norm2 = norm1 if query.get("lock") == "true" else float(query["n2"])
    view = binary_view(norm1, norm2, theta12, m, field_kind=query.get("field", "off"))
    title = f"m = {m}, |W1| = {norm1:g}, |W2| = {norm2:g}, θ12 = {theta12:g}°"
    return plane_figure(view.scene, title, height=FIGURE_HEIGHT)


def multiclass(query: dict):
    """K evenly spaced class vectors at a multiclass preset's settings."""
    k, m = int(query["k"]), int(query["m"])
    angles = [round(360 * j / k) for j in range(k)]  # the explorer's even spacing
    norms = [float(query.get(f"n{j + 1}", 2.0)) for j in range(k)]
    scene, _ = multiclass_scene(angles, norms, m)
    return plane_figure(scene, f"K = {k}, m = {m}, |W1| = {norms[0]:g}", height=FIGURE_HEIGHT)


def psi_curves(query: dict):
    """Figure 3: psi for m = 1..mmax against cos."""
    theta, curves, cosine = psi_samples(int(query["mmax"]), 181)
    figure = psi_figure(np.degrees(theta), curves, cosine)
    return figure.update_layout(height=FIGURE_HEIGHT)


def schedule(query: dict):
    """The power-law lambda schedule of a psi preset, on a log axis."""
    power_law = LambdaSchedule(float(query["base"]), float(query["gamma"]), float(query["power"]), float(query["lmin"]))
    steps, curves = schedule_samples({"λ, the paper's MNIST schedule": power_law}, int(query["iters"]), 300)
    return schedule_figure(steps, curves, log_y=True).update_layout(height=FIGURE_HEIGHT)


def wedges(query: dict):
    """Where training must put the features: the feasible wedges of K evenly spaced classes, one frame per m."""
    settings, _ = TrainSettings.from_query(query)
    k, margins = settings.effective_classes, [margin.m for margin in settings.margins]
    angles = [round(360 * j / k) for j in range(k)]
    scenes = [multiclass_scene(angles, [2.0] * k, m)[0] for m in margins]
    title = f"Where the features must go: {k} classes, m = {margins[0]} … {margins[-1]}"
    return sweep_figure(scenes, [str(m) for m in margins], title=title).update_layout(height=FIGURE_HEIGHT + 140)


def family_plane(query: dict):
    """The family page's (theta1, theta2) plane at a family preset's settings."""
    curves = family.member_curves(family.values_from_query(query), family.plane_boundary)
    return angle_plane_figure(family.PLANE_ANGLES, curves, height=FIGURE_HEIGHT)


def family_wedge(query: dict):
    """The family page's margin inside the wedge against theta12 at a family preset's settings."""
    margins = partial(family.wedge_margins_deg, theta12_deg=family.WEDGE_ANGLES)
    curves = family.member_curves(family.values_from_query(query), margins)
    return wedge_margin_figure(family.WEDGE_ANGLES, curves, height=FIGURE_HEIGHT)


FIGURES = {
    "plane": plane, "multiclass": multiclass, "psi": psi_curves, "schedule": schedule, "wedges": wedges,
    "family-plane": family_plane, "family-wedge": family_wedge,
}  # fmt: skip


def plane_live(query: dict) -> dict:
    """Sliders over a two-class step's figure: the student moves m, the angle and the norms."""
    locked = query.get("lock") == "true"
    norm1 = float(query["n1"])
    norm2 = norm1 if locked else float(query["n2"])
    values = {"m": int(query["m"]), "t12": float(query["t12"]), "n1": norm1, "n2": norm2, "lock": locked,
              "xa": None, "xn": None, "field": query.get("field", "off")}  # fmt: skip
    return binary_live(values, sample=False)


def multiclass_live_step(query: dict) -> dict:
    """Sliders over the K-class step's figure: m, and any class's angle and norm."""
    k = int(query["k"])
    norms = [float(query.get(f"n{j + 1}", 2.0)) for j in range(k)]
    return multiclass_live(k, int(query["m"]), [round(360 * j / k) for j in range(k)], norms)


def psi_live_step(query: dict) -> dict:
    """Sliders over the psi step's figure."""
    return psi_live(int(query["mmax"]), int(query["m"]), float(query["lam"]))


LIVE = {"plane": plane_live, "multiclass": multiclass_live_step, "psi": psi_live_step}  # steps whose figure has sliders


@st.cache_data(max_entries=16, show_spinner=False)
def step_figure(index: int):
    """The figure of step index (0-based); cached: it never changes."""
    step = STEPS[index]
    return FIGURES[step.figure](PRESETS[step.preset].query)


def move(delta: int) -> None:
    """Back/Next callback: go delta steps from the current one, staying within the lesson."""
    current = st.session_state.get(STEP.key, STEP.default)
    st.session_state[STEP.key] = min(len(STEPS), max(1, current + delta))


def navigation() -> int:
    """Back, the step picker (bound to ?step=) and Next; returns the current step (1-based)."""
    back, picker, forward = st.columns([1, 3, 1], vertical_alignment="center")
    with picker:
        number = st.pagination(len(STEPS), max_visible_pages=len(STEPS), key=STEP.key, bind=links.BIND, width="stretch")
    back.button("◀ Back", on_click=move, args=(-1,), disabled=number <= 1, width="stretch", key="back")
    forward.button(
        "Next ▶", on_click=move, args=(1,), disabled=number >= len(STEPS), width="stretch", key="next", type="primary"
    )
    return number


def explorer_link(preset) -> None:
    """The button that opens the step's state in the explorer, in a new tab (the lesson stays), and what it shows."""
    with st.container(border=True):
        st.link_button(
            "Open this in the explorer (new tab)", preset.link, icon=":material/open_in_new:", width="stretch",
            type="primary",
        )  # fmt: skip
        st.caption(f"**{preset.title}.** {preset.description}  Link: `{preset.link}`")


def handout() -> None:
    """Every step on one page, figure, text and a question for the class; print it from the browser."""
    st.title(f"L-Softmax and its successors: a handout in {len(STEPS)} steps")
    st.caption("Print this page from the browser (Ctrl+P / Cmd+P); each step keeps to one page.")
    st.html(PRINT_CSS)
    for index, step in enumerate(STEPS):
        with st.container(key=f"handout-step-{index + 1}", border=True):
            st.header(f"{index + 1}. {step.title}")
            if step.figure == "wedges":
                st.plotly_chart(step_figure(index), key=f"handout-figure-{index + 1}", theme=None, config=NO_MODE_BAR)
            else:
                live_chart(step_figure(index), key=f"handout-figure-{index + 1}", height=FIGURE_HEIGHT,
                           config=NO_MODE_BAR)  # fmt: skip
            st.markdown((LESSONS / step.text_file).read_text())
            st.markdown(f"**Question for the class.** {step.question}")
            st.caption(f"Explorer: `{PRESETS[step.preset].link}`")


if st.query_params.get(HANDOUT) == "1":
    handout()
    st.stop()
st.title("Guided lesson: from softmax to the margin family")
st.link_button("Printable handout (all steps, with questions)", "lesson?handout=1", icon=":material/print:")
links.notice_invalid_params((STEP,))
number = navigation()
step = STEPS[number - 1]
st.progress(number / len(STEPS), text=f"Step {number} of {len(STEPS)}")
st.header(f"{number}. {step.title}")
if presenter.enabled():  # the figure takes the screen's width, the text follows it
    figure, text = st.container(), st.container()
else:  # keyed: the page CSS puts the figure under the text where the row is narrow
    text, figure = st.container(key="figure-row").columns([1, 1], gap="large")
with text:
    st.markdown((LESSONS / step.text_file).read_text())
    explorer_link(PRESETS[step.preset])
with figure:  # the explorers' live charts: the student can move the step's figure right here
    live = LIVE.get(step.figure)
    query = PRESETS[step.preset].query
    if step.figure == "wedges":  # a plotly animation (frames): plain plotly, dark ticks
        st.plotly_chart(step_figure(number - 1), key=f"lesson-figure-{number}", theme=None, config=NO_MODE_BAR)
    else:
        live_chart(step_figure(number - 1), key=f"lesson-figure-{number}", height=FIGURE_HEIGHT, config=NO_MODE_BAR,
                   live=live(query) if live else None)  # fmt: skip
arrow_keys(back="back", next="next")  # the lesson steps with the arrow keys
