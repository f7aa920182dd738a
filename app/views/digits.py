"""Figure 2 on real digits: a small CNN with a 2-D feature layer and an L-Softmax head, m = 1..4
trained in lockstep (lab.digits), with a progress bar, a Stop button and a cache per setting.

Train and Stop are on_click callbacks outside the fragment (a full run arms or stops its timer);
the fragment trains for a bounded time per tick and redraws the progress bar.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from app.figures.digits import angle_figure, feature_grid
from app.training_session import set_torch_threads_once
from lab.digits import (
    DATASETS,
    MARGIN_CHOICES,
    PAPER_MNIST_ERROR,
    DigitsSettings,
    DigitsTrainer,
    load_digits_data,
    load_result,
    save_result,
)
from lab.idx import DataUnavailable

TRAINER_KEY = "digits_trainer"  # the DigitsTrainer being trained (session only)
RESULT_KEY = "digits_result"  # the last DigitsResult shown (finished, stopped or from the cache)
ERROR_KEY = "digits_error"
TICK_SECONDS = 0.4  # the fragment's run_every while training
TICK_BUDGET_SECONDS = 0.3  # training time per tick: the page stays responsive to Stop
DATASET_NAMES = {"sklearn": "8x8 digits (bundled with scikit-learn)", "mnist": "MNIST 28x28 (IDX files)"}


def settings_panel() -> DigitsSettings:
    """The controls, in the sidebar; returns the settings they describe."""
    defaults = DigitsSettings()
    with st.sidebar, st.expander("Digits run", expanded=True):
        dataset = st.radio("Data", DATASETS, format_func=DATASET_NAMES.get, key="digits_dataset")
        margins = st.multiselect("Margins m", MARGIN_CHOICES, default=list(defaults.margins), key="digits_margins")
        epochs = st.slider("Epochs", 1, 100, defaults.epochs, key="digits_epochs")
        learning_rate = st.number_input(
            "Learning rate (Adam)", 1e-5, 0.1, defaults.learning_rate, format="%g", key="digits_lr"
        )
        lambda_end = st.number_input(
            "lambda at the last step", 0.0, 1000.0, defaults.lambda_end, format="%g", key="digits_lambda_end"
        )
        limit = st.number_input(
            "Training images (0: all)", 0, 60000, 0 if dataset == "sklearn" else 10000, step=1000, key="digits_limit"
        )
        seed = st.number_input("Seed", 0, 2**31 - 1, defaults.seed, key="digits_seed")
    return DigitsSettings(
        dataset=dataset,
        margins=tuple(sorted(margins)) or defaults.margins,
        epochs=int(epochs),
        learning_rate=float(learning_rate),
        lambda_end=float(lambda_end),
        train_limit=int(limit),
        seed=int(seed),
    )


def start(settings: DigitsSettings) -> None:
    """Train button: load the data and build the models (the fragment then trains them)."""
    st.session_state.pop(ERROR_KEY, None)
    try:
        data = load_digits_data(settings)
    except DataUnavailable as error:
        st.session_state[ERROR_KEY] = str(error)
        return
    set_torch_threads_once()
    st.session_state[TRAINER_KEY] = DigitsTrainer(settings, data)
    st.session_state.pop(RESULT_KEY, None)


def stop() -> None:
    """Stop button: keep what was learned so far as a (stopped, uncached) result."""
    trainer = st.session_state.pop(TRAINER_KEY, None)
    if trainer is not None:
        st.session_state[RESULT_KEY] = trainer.result()


def progress_text(progress) -> str:
    """'37 % · epoch 15 of 40 · about 12 s left'."""
    left = progress.seconds_left
    eta = f"about {left:,.0f} s left" if math.isfinite(left) else "timing the first steps..."
    return f"{100 * progress.fraction:.0f} % · epoch {math.floor(progress.epoch)} of {progress.epochs} · {eta}"


def training_tick() -> None:
    """One tick: train for a bounded time, redraw the progress; a finished run is cached and shown."""
    trainer = st.session_state.get(TRAINER_KEY)
    if trainer is None:
        return
    set_torch_threads_once()
    progress = trainer.advance(TICK_BUDGET_SECONDS)
    st.progress(progress.fraction, text=progress_text(progress))
    if trainer.done:
        result = trainer.result()
        save_result(result)
        st.session_state[RESULT_KEY] = result
        st.session_state.pop(TRAINER_KEY, None)
        st.rerun(scope="app")  # a full run stops this fragment's timer and draws the result


def metrics_rows(result) -> list[dict]:
    """One row per m: accuracies, the paper's MNIST error beside ours, angles and margins."""
    rows = []
    for model in result.models:
        summary = model.summary()
        paper = PAPER_MNIST_ERROR.get(model.m)
        rows.append(
            {
                "m": model.m,
                "train accuracy": f"{100 * model.train_accuracy:.2f} %",
                "test accuracy": f"{100 * model.test_accuracy:.2f} %",
                "test error (ours)": f"{summary['test_error_percent']:.2f} %",
                "MNIST error (paper)": f"{paper:.2f} %" if paper is not None else "-",
                "angle to own W (°)": f"{summary['mean_intra_class_angle_deg']:.1f}",
                "mean margin (°)": f"{summary['mean_margin_deg']:.1f}",
                "mean |x|": f"{model.mean_feature_norm:.3g}",
            }
        )
    return rows


def show_result(result, cached: bool) -> None:
    """The Figure-2 grid, the numbers per m, the angle chart, and how they were made."""
    done = f"stopped after {result.epochs_done:.1f} epochs" if result.stopped else f"{result.epochs_done:.0f} epochs"
    where = "from the cache" if cached else f"trained on {result.device.upper()} in {result.seconds:.0f} s"
    st.markdown(f"**{result.data_description}** · {done} · {result.steps:,} steps · {where}")
    st.caption(f"Settings: {result.settings.describe()}.")
    for tab, split in zip(st.tabs(["Test images", "Training images"]), ("test", "train"), strict=True):
        with tab:
            figure = go.Figure(feature_grid(result, splits=(split,), columns=min(2, len(result.models))))
            st.plotly_chart(figure, key=f"digits_grid_{split}", config={"displaylogo": False})
    st.table(metrics_rows(result), hide_index=True)
    st.caption(
        "The paper's errors (Liu et al. 2016) are for MNIST with its full CNN (a wide last "
        "hidden layer, 60,000 images, many epochs); ours come from a 2-D feature layer, which costs "
        "accuracy: compare the trend over m and the angles, not the absolute numbers."
    )
    st.plotly_chart(go.Figure(angle_figure(result)), key="digits_angles", config={"displaylogo": False})


def page() -> None:
    """Settings -> Train / Stop -> progress while training -> the cached or fresh result."""
    st.title("Figure 2 on real digits")
    st.caption(
        "A small CNN maps each image to a 2-D feature; an L-Softmax layer with class vectors W0..W9 "
        "classifies it. One model per m, all from the same initial weights and the same batches: "
        "with larger m each digit's features gather into a thinner wedge and grey margins open between them."
    )
    settings = settings_panel()
    trainer = st.session_state.get(TRAINER_KEY)
    running = trainer is not None
    cached = None if running else load_result(settings)
    left, right = st.columns(2)
    left.button(
        "Train" if cached is None else "Train again",
        key="digits_train",
        type="primary",
        on_click=start,
        args=(settings,),
        disabled=running,
        width="stretch",
    )
    right.button("Stop", key="digits_stop", on_click=stop, disabled=not running, width="stretch")
    if ERROR_KEY in st.session_state:
        st.error(st.session_state[ERROR_KEY])
    if running:
        if trainer.settings != settings:
            st.info("The settings changed: this run continues with the ones it started with; Stop to change.")
        st.fragment(run_every=TICK_SECONDS)(training_tick)()
    result = st.session_state.get(RESULT_KEY)
    if result is not None and result.settings == settings and not running:
        show_result(result, cached=False)
    elif cached is not None and not running:
        show_result(cached, cached=True)
    elif not running:
        st.info("Press Train: the 8x8 digits take about half a minute on one free CPU core (longer on a busy server).")


page()
