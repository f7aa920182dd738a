"""Live training lab: a small network with a margin head (L-Softmax, A-Softmax, CosFace, ArcFace or
the combined margin) trains while you watch (Figure 2, live); compare mode trains several in lockstep.

Play, Pause, Step, Reset and New seed are on_click callbacks outside the fragment (a full run
re-arms or stops the fragment's timer); the fragment trains a bounded amount per tick and
redraws the live charts in place. A tick computes in one of the process's turns
(app.training_session.turn: first come, first served) and makes its Streamlit calls after it,
then waits until its chart has left for the browser (training_session.wait_until_sent); the more
sessions play, the less often each browser's timer asks for a tick (training_session.keep_timer).
Every setting is in the URL.
"""

from __future__ import annotations

import dataclasses
import math
import urllib.parse

import numpy as np
import streamlit as st

from app import lost_run, notices, presenter
from app import training_session as session
from app.figures import sphere
from app.figures.training import (
    angle_table,
    compare_figure,
    history_figure,
    model_table,
    numbers_table,
    single_figure,
)
from app.links import page_url, repeated_keys
from app.live_chart import chart_payload, send_payload
from lab.datasets import DATASETS
from lab.settings import (
    ACTIVATIONS,
    CUSTOM_DATASET,
    FEATURE_DIMS,
    LAMBDA_KINDS,
    MAX_COMPARE,
    MAX_MARGIN,
    MAX_SCALE,
    MEMBER_RANGES,
    MEMBER_SPECS,
    OPTIMIZERS,
    SOFTMAX_ENTRY,
    TrainSettings,
    canonical_entry,
    entry_with_scale,
    lsoftmax_entries,
    margin_from_entry,
    model_name,
    scale_risks,
)
from lab.user_data import MAX_UPLOAD_MB
from lsoftmax.margins import as_margin

CUSTOM_KEY = "train_custom_data"  # the parsed CSV (session.CustomData)
CSV_ERROR_KEY = "train_csv_error"
STEPS_KEY = "train_steps_per_tick"
REGIONS_KEY = "train_compare_regions"  # compare mode also draws each model's input space
SHOW_TEST_KEY = "train_show_test"  # draw the held-out points
DISCRETE_KEY = "train_discretise"  # decision regions as flat class colours
HISTORY_HEIGHTS = (350, 450)  # px, the curves with their legend below: plain, presenting (18 px text needs the room)
# Where the widgets are narrower than TrainSettings allows (a link outside is clamped, with a notice).
UI_LIMITS = {
    "n_samples": (20, 5000), "noise": (0.0, 3.0), "learning_rate": (1e-6, 10.0), "lambda_factor": (1e-4, 1.0),
    "scale": (0.1, MAX_SCALE),
}  # fmt: skip


def key(name: str) -> str:
    """Widget key of a TrainSettings field."""
    return session.widget_key(name)


# ------------------------------------------------------------------ callbacks (outside the fragment)


def play() -> None:
    """Start ticking (the full run that follows arms the fragment's timer)."""
    run = session.current_run()
    if run is not None and run.trainer.diverged is None:
        run.running, run.last_tick = True, 0.0


def pause() -> None:
    """Stop ticking."""
    run = session.current_run()
    if run is not None:
        run.running = False


def step() -> None:
    """Pause and train exactly the set number of steps."""
    run = session.current_run()
    if run is not None:
        run.running = False
        if session.train_steps(run, st.session_state[STEPS_KEY]).busy:
            st.toast("The server is too busy to train now: press Step again in a moment.")


def reset() -> None:
    """Pause and go back to step 0 with the same initial weights and batch order."""
    run = session.current_run()
    if run is not None:
        run.trainer.reset(same_init=True)
        run.running, run.steps_per_second, run.feature_extent = False, 0.0, 1.0
        run.arcs.clear()
        run.snapshot = None
        run.payloads.clear()


def new_seed() -> None:
    """Next seed: new data draw, split and initial weights (the settings change restarts the run)."""
    st.session_state[key("seed")] = (st.session_state[key("seed")] + 1) % 2**31


def compare_paper_margins() -> None:
    """The paper's Figure 2: m = 1, 2, 3, 4 side by side."""
    st.session_state[key("compare")] = list(lsoftmax_entries((1, 2, 3, 4)))


def compare_family() -> None:
    """Softmax, L-Softmax m = 4, CosFace and ArcFace (with the margins and s set under Loss) side by side."""
    settings = st.session_state[session.SETTINGS_KEY]
    members = [dataclasses.replace(settings, member=name).entry for name in ("cosface", "arcface")]
    st.session_state[key("compare")] = [SOFTMAX_ENTRY, "lsoftmax:4", *members]


def add_to_compare() -> None:
    """Add the member and parameters set under Loss to the compared models."""
    entries = list(st.session_state.get(key("compare")) or [])
    entry = st.session_state[session.SETTINGS_KEY].entry
    if entry not in entries and len(entries) < MAX_COMPARE:
        st.session_state[key("compare")] = [*entries, entry]


def use_scale(scale: float) -> None:
    """The fix for a scale that does not converge on 2-D: s, here and in every compared entry."""
    st.session_state[key("scale")] = scale
    entries = st.session_state.get(key("compare")) or []
    st.session_state[key("compare")] = [entry_with_scale(entry, scale) for entry in entries]


def compare_choices(settings: TrainSettings) -> list[str]:
    """The compare menu: softmax and L-Softmax m = 2..8, A-Softmax m = 2..4, and every member as set under Loss."""
    fixed = [*lsoftmax_entries(range(1, MAX_MARGIN + 1)), "sphereface:2", "sphereface:4"]
    members = [dataclasses.replace(settings, member=name).entry for name in MEMBER_SPECS]
    return list(dict.fromkeys(canonical_entry(entry) for entry in [*fixed, *members]))


def csv_uploaded() -> None:
    """Parse a new upload: good data becomes the dataset; a bad file leaves a message and changes nothing."""
    uploaded = st.session_state.get("train_csv")
    if uploaded is None:
        st.session_state.pop(CSV_ERROR_KEY, None)  # the file the message named is gone
        return
    try:
        data = session.load_uploaded_csv(uploaded)
    except ValueError as error:
        st.session_state[CSV_ERROR_KEY] = (
            f"{notices.shorten(uploaded.name)}: {error} The previous data and model are kept."
        )
        return
    st.session_state[CUSTOM_KEY] = data
    st.session_state.pop(CSV_ERROR_KEY, None)
    st.session_state[key("dataset")] = CUSTOM_DATASET


# ------------------------------------------------------------------ control panels (sidebar)


def data_panel() -> None:
    """Dataset, its size, noise, classes, split and seed, and the CSV upload."""
    custom = st.session_state.get(CUSTOM_KEY)
    options = list(DATASETS) + ([CUSTOM_DATASET] if custom is not None else [])
    if st.session_state[key("dataset")] not in options:
        st.warning("This link uses your own CSV, which this session does not have: upload it below.")
        st.session_state[key("dataset")] = TrainSettings().dataset
    names = {name: f"{name}: {spec.description}" for name, spec in DATASETS.items()}
    if custom is not None:
        names[CUSTOM_DATASET] = (
            f"your CSV: {notices.shorten(custom.name)} ({len(custom.labels)} points, K = {custom.n_classes})"
        )
    dataset = st.selectbox("Dataset", options, key=key("dataset"), format_func=names.get)
    generated = dataset != CUSTOM_DATASET
    spec = DATASETS.get(dataset)
    fixed_k = spec is not None and spec.min_classes == spec.max_classes
    st.number_input(
        "Points (train + test)", *UI_LIMITS["n_samples"], step=50, key=key("n_samples"), disabled=not generated
    )
    st.number_input("Noise", *UI_LIMITS["noise"], step=0.05, key=key("noise"), disabled=not generated)
    if generated and not fixed_k:
        st.number_input("Classes K", 2, 10, key=key("n_classes"))
    else:  # K is the data's: show it (the n_classes setting is kept for datasets that use it)
        real_k = custom.n_classes if not generated else spec.min_classes
        st.number_input("Classes K", 2, 10, value=real_k, disabled=True, help="set by the data")
    if not generated and custom.class_names:
        mapping = ", ".join(f"{name} = class {j + 1}" for j, name in enumerate(custom.class_names))
        st.text(f"Labels: {mapping}")  # the user's text, shown as text
    st.slider("Test fraction", 0.05, 0.9, step=0.05, key=key("test_fraction"))
    st.number_input("Seed", 0, 2**31 - 1, key=key("seed"))
    st.file_uploader(
        "Your own points: CSV of x, y, label", type=["csv", "txt"], key="train_csv", on_change=csv_uploaded,
        max_upload_size=MAX_UPLOAD_MB, help=f"One file of at most {MAX_UPLOAD_MB} MB; a new file replaces the last.",
    )  # fmt: skip


def model_panel() -> None:
    """The MLP in front of the feature layer, and that layer's dimension D."""
    st.radio(
        "Feature dimension D",
        FEATURE_DIMS,
        key=key("feature_dim"),
        horizontal=True,
        format_func=lambda dim: {2: "2 (plane)", 3: "3 (sphere)"}[dim],
        help="3: the features and class vectors live in 3-D, drawn on a sphere you can rotate",
    )
    st.slider("Hidden layers", 0, 6, key=key("hidden_layers"))
    st.number_input("Units per hidden layer", 2, 128, key=key("hidden_width"))
    st.selectbox("Activation", ACTIVATIONS, key=key("activation"))
    st.toggle("BatchNorm", key=key("batch_norm"))


def member_widgets(member: str, comparing: bool) -> None:
    """The chosen member's parameters (angles in degrees); disabled while compare mode trains its own list."""
    why = "Compare mode trains the models chosen under Compare" if comparing else None
    if member in ("lsoftmax", "sphereface"):
        plain = "1 is plain softmax" if member == "lsoftmax" else "1: W normalised, no margin"
        st.slider("Margin m", 1, MAX_MARGIN, key=key("m"), disabled=comparing, help=why or plain)
        return
    number = {"format": "%g", "disabled": comparing, "help": why}
    labels = {  # each parameter field of the member, its label and step (its range: MEMBER_RANGES)
        "cosface_m": ("Margin m (cosine): t = cos θ − m", 0.05),
        "arcface_m_deg": ("Margin m (degrees): t = cos(θ + m)", 1.0),
        "combined_m1": ("m1 (multiplies θ)", 0.1),
        "combined_m2_deg": ("m2 (degrees, added to θ)", 1.0),
        "combined_m3": ("m3 (subtracted from cos)", 0.05),
    }
    for field in MEMBER_SPECS[member].fields:
        if field in labels:
            label, step = labels[field]
            st.number_input(label, *MEMBER_RANGES[field], step=step, key=key(field), **number)
    st.number_input("Scale s (x and W are normalised)", *UI_LIMITS["scale"], step=1.0, key=key("scale"), **number)


def loss_panel() -> None:
    """The member, its parameters and the lambda schedule (only the active schedule's parameters are shown)."""
    comparing = bool(st.session_state.get(key("compare")))
    member = st.selectbox(
        "Loss", list(MEMBER_SPECS), key=key("member"), format_func=lambda name: MEMBER_SPECS[name].label,
        disabled=comparing, help="Compare mode trains the models chosen under Compare" if comparing else None,
    )  # fmt: skip
    member_widgets(member, comparing)
    kind = st.radio("Lambda schedule", LAMBDA_KINDS, key=key("lambda_kind"), horizontal=True)
    if kind == "power":
        st.number_input("lambda base", 0.0, 1e6, key=key("lambda_base"), format="%g")
        st.number_input("gamma", 0.0, 10.0, key=key("lambda_gamma"), format="%g", step=0.001)
        st.number_input("power", 0.0, 100.0, key=key("lambda_power"), format="%g")
    elif kind == "multiplicative":
        st.number_input("lambda start", 0.0, 1e6, key=key("lambda_start"), format="%g")
        st.number_input("factor per step", 0.0001, 1.0, key=key("lambda_factor"), format="%g", step=0.001)
    if kind != "none":
        st.number_input("lambda_min", 0.0, 1e6, key=key("lambda_min"), format="%g", help="0.5 to 10 steadies hard data")


def optimizer_panel() -> None:
    """Adam or SGD with momentum, learning rate, weight decay, batch size."""
    name = st.radio("Optimizer", OPTIMIZERS, key=key("optimizer"), horizontal=True)
    st.number_input("Learning rate", 1e-6, 10.0, key=key("learning_rate"), format="%g", step=0.001)
    if name == "sgd":
        st.number_input("Momentum", 0.0, 0.999, key=key("momentum"), format="%g", step=0.05)
    st.number_input("Weight decay", 0.0, 1.0, key=key("weight_decay"), format="%g", step=0.0001)
    st.number_input("Batch size", 1, 1024, key=key("batch_size"))


def entry_label(entry: str) -> str:
    """A compare entry as the legends name its model (a typed entry that does not parse: as typed)."""
    try:
        return model_name(margin_from_entry(entry))
    except ValueError:
        return notices.shorten(entry)


def compare_panel() -> None:
    """Compare mode: one model per chosen entry (a member and its parameters), trained in lockstep."""
    chosen = list(st.session_state.get(key("compare")) or [])
    options = list(dict.fromkeys([*compare_choices(st.session_state[session.SETTINGS_KEY]), *chosen]))
    st.multiselect(
        "Compare models (empty: one model)", options, key=key("compare"), format_func=entry_label,
        max_selections=MAX_COMPARE, accept_new_options=True,
        help="Or type an entry: softmax, lsoftmax:m, sphereface:m, cosface:m:s, arcface:degrees:s, "
        "combined:m1:degrees:m3:s",
    )  # fmt: skip
    st.button("Add the model set under Loss", key="train_add_compare", on_click=add_to_compare, width="stretch")
    st.button("Compare m = 1, 2, 3, 4", key="train_compare_ms", on_click=compare_paper_margins, width="stretch")
    st.button(
        "Compare softmax, L-Softmax, CosFace, ArcFace", key="train_compare_family", on_click=compare_family,
        width="stretch",
    )  # fmt: skip
    sphere_view = st.session_state.get(key("feature_dim")) == 3
    st.toggle(
        "Decision regions of every model (slower to draw)",
        key=REGIONS_KEY,
        disabled=sphere_view,
        help="With D = 3, compare mode draws one sphere per model" if sphere_view else None,
    )


def view_panel() -> None:
    """What the charts show (nothing here restarts the run)."""
    st.toggle("Show test data", value=True, key=SHOW_TEST_KEY, help="open circles: points held out for testing")
    st.toggle("Discretise output", value=False, key=DISCRETE_KEY, help="decision regions without confidence shading")


def sidebar() -> None:
    """Every setting, in expanders."""
    with st.sidebar:
        for title, panel, expanded in (
            ("Data", data_panel, True),
            ("View", view_panel, False),
            ("Loss", loss_panel, True),
            ("Compare", compare_panel, True),
            ("Network", model_panel, st.session_state.get(key("feature_dim")) == 3),
            ("Optimizer", optimizer_panel, False),
        ):
            with st.expander(title, expanded=expanded):
                panel()


# ------------------------------------------------------------------ main area


def buttons(run: session.Run) -> None:
    """Play, Pause, Step, Reset, New seed (callbacks outside the fragment) and steps per tick."""
    diverged = run.trainer.diverged is not None
    # a wrapping row of content-wide buttons: no label is cut short on a projector or a phone
    row = st.container(horizontal=True, wrap=True, key="train_buttons", vertical_alignment="bottom")
    row.button("Play", key="train_play", on_click=play, disabled=run.running or diverged, type="primary")
    row.button("Pause", key="train_pause", on_click=pause, disabled=not run.running)
    row.button("Step", key="train_step", on_click=step, disabled=run.running or diverged)
    row.button("Reset", key="train_reset", on_click=reset, help="Back to step 0 with the same initial weights")
    row.button("New seed", key="train_new_seed", on_click=new_seed, help="New data draw, split and initial weights")
    with row.container(width=260):
        st.slider("Steps per tick (and per Step)", 1, 500, session.DEFAULT_STEPS_PER_TICK, key=STEPS_KEY)


def epochs_done(run: session.Run, snapshot) -> float:
    """Passes over the training set so far (each step draws batch_size training points)."""
    train_count = max(1, int((~snapshot.is_test).sum()))
    return snapshot.step * min(run.settings.batch_size, train_count) / train_count


def status_line(run: session.Run, snapshot) -> None:
    """Device, step, steps/s while playing, and each model's test accuracy."""
    device = "CUDA" if run.trainer.device == "cuda" else "CPU"
    speed = f" · {run.steps_per_second:,.0f} steps/s" if run.running and run.steps_per_second else ""
    accuracy = " · ".join(
        f"{model_name(margin)}: test acc {acc:.0%}"
        for margin, acc in zip(snapshot.margins, snapshot.test_acc, strict=True)
    )
    epoch = epochs_done(run, snapshot)
    with st.container(key="train_status"):
        st.markdown(
            f"Training on **{device}** · epoch **{epoch:,.1f}** · step **{snapshot.step:,}**{speed} · {accuracy}"
        )
    if run.skipped_ticks:
        st.caption(f"The server is busy: the last {run.skipped_ticks} ticks found no time to train.")


def as_viewed(regions: list, features: list) -> tuple[list, list]:
    """The scenes as the View toggles ask: without test points, and/or with flat decision colours."""
    show_test = st.session_state.get(SHOW_TEST_KEY, True)
    discrete = st.session_state.get(DISCRETE_KEY, False)
    if not show_test:
        regions = [without_test_points(scene, ("inputs", "labels", "is_test")) for scene in regions]
        features = [without_test_points(scene, ("features", "labels", "is_test")) for scene in features]
    if discrete:
        regions = [dataclasses.replace(scene, grid_confidence=np.ones_like(scene.grid_confidence)) for scene in regions]
    return regions, features


def without_test_points(scene, fields: tuple[str, ...]):
    """A copy of a scene keeping only its training points."""
    keep = ~np.asarray(scene.is_test, dtype=bool)
    return dataclasses.replace(scene, **{name: np.asarray(getattr(scene, name))[keep] for name in fields})


def _views_payload(run: session.Run, snapshot) -> tuple[bytes, int, int]:
    """The main chart's payload, its height and its model count (pure compute: runs in a turn)."""
    count = len(snapshot.margins)
    regions, features = session.scenes(run, snapshot, playing=run.running)
    regions, features = as_viewed(regions, features)
    if snapshot.features.shape[-1] == 3:  # the sphere view (app/figures/sphere.py)
        single = count == 1
        figure = sphere.training_figure(regions[0], features[0]) if single else sphere.compare_figure(features)
        height = figure["layout"]["height"]
    elif count == 1:
        figure, height = single_figure(regions[0], features[0], run.feature_extent), 470
    else:
        figure = compare_figure(regions if st.session_state.get(REGIONS_KEY) else [], features, run.model_extents)
        height = figure["layout"]["height"]
    return chart_payload(figure, height=height, step=snapshot.step), height, count


def live_views(run: session.Run, steps_per_tick: int) -> None:
    """One tick: in a turn, train (if playing) and build the chart; then show it in place.

    A play tick that got no turn in time trains nothing and resends the last payload as it
    was: no snapshot, no figure (the browser skips redrawing a figure it already shows).
    A tick waiting for its turn gives up when a click (Pause, Step, a widget) wants the
    script, so the click is answered without waiting for the other sessions' turns.
    """
    outcome = None
    wait = session.TURN_WAIT_SECONDS if "views" in run.payloads else math.inf  # the first chart waits its turn
    with session.turn(wait, session.click_waiting) as granted:
        if granted:
            if run.running:
                outcome = session.play_tick(run, steps_per_tick, in_turn=True)
            if outcome is None or not outcome.diverged:
                run.snapshot = run.trainer.snapshot(run.grid_resolution)
                run.payloads["views"] = _views_payload(run, run.snapshot)
    if outcome is not None and outcome.diverged:
        st.rerun(scope="app")  # a full run stops this fragment's timer
    if not granted and "views" not in run.payloads:
        return  # stopped, or a click came before the first chart: the run it starts draws it
    if run.running:
        session.keep_timer(run, "live", session.tick_seconds(session.TICK_SECONDS, session.playing_sessions()))
    if not granted and run.running and not session.click_waiting():
        run.skipped_ticks += 1
    status_line(run, run.snapshot)
    if run.trainer.diverged:
        st.error(run.trainer.diverged)
    payload, height, count = run.payloads["views"]
    dim = run.settings.feature_dim  # a plane and a sphere are different charts (a new element, a new camera)
    name = f"train_views_{count}_{height}" if dim == 2 else f"train_views_{dim}d_{count}_{height}"
    send_payload(payload, key=name, height=height, fits=True)  # narrow: one column
    session.wait_until_sent()


def slow_views(run: session.Run) -> None:
    """Curves and the angle dashboard: they change slowly, so they redraw a few times a second."""
    wait = session.TURN_WAIT_SECONDS if "history" in run.payloads else math.inf
    with session.turn(wait, session.click_waiting) as granted:
        if granted:
            snapshot = run.snapshot or run.trainer.snapshot(run.grid_resolution)
            names = [model_name(margin) for margin in snapshot.margins]
            figure = history_figure(run.trainer.history(), names)
            height = HISTORY_HEIGHTS[presenter.enabled()]
            payload = chart_payload(figure, height=height, step=snapshot.step)
            run.payloads["history"] = (payload, snapshot, names, height)
    if "history" not in run.payloads:
        return  # stopped, or a click came first: the run it starts draws it
    if run.running:
        session.keep_timer(run, "slow", session.tick_seconds(session.SLOW_TICK_SECONDS, session.playing_sessions()))
    payload, snapshot, names, height = run.payloads["history"]
    send_payload(payload, key="train_history", height=height, fits=True)  # narrow: one column
    with st.container(key="train_numbers"):
        st.table(numbers_table(snapshot, names, epochs_done(run, snapshot)), hide_index=True)
    if not all(as_margin(margin).is_plain for margin in snapshot.margins):
        st.caption(
            "The margin loss (train, solid) is measured against a target that gets harder as lambda "
            "(dashed grey) falls, so it can rise while the model improves: the plain losses and the "
            "accuracies say how well it classifies."
        )
    left, right = st.columns([3, 2])
    left.table(angle_table(snapshot.angles, names), hide_index=True)
    right.table(model_table(snapshot.angles, names), hide_index=True)
    session.wait_until_sent()


def share_link(settings: TrainSettings) -> None:
    """The link that reopens these settings."""
    query = urllib.parse.urlencode(settings.to_query(), safe=",:")  # readable: compare=softmax,arcface:28.65:2
    base = page_url(st.context.url or "", st.get_option("server.baseUrlPath") or "", "train")
    with st.expander("Link to these settings"):
        st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)


def scale_warning(settings: TrainSettings) -> None:
    """Warn, with the reason and a one-click fix, when a model's s is known not to converge on 2-D features."""
    risks = scale_risks(settings)
    if not risks:
        return
    names = ", ".join(name for name, _ in risks)
    safe = min(safe for _, safe in risks)
    with st.container(key="train_scale_warning"):
        st.warning(
            f"{names}: known not to converge reliably on 2-D features. With x and W normalised every "
            "logit is s·cos θ: a large s makes the softmax nearly hard from the start, and points on the "
            "wrong side of the circle get stuck. On the default spiral (8 seeds, 1,000 steps) every run "
            f"converged with s ≤ {safe:g}; ArcFace at s = 64 stalled in 7 of 8, and lambda annealing "
            "barely helped. The papers' s = 30..64 is meant for 512-D features.",
            icon=":material/warning:",
        )
        st.button(
            f"Use s = {safe:g}",
            key="train_use_safe_scale",
            help="the largest s that converged on every seed",
            on_click=use_scale,
            args=(safe,),
        )


def restart_notice(previous: session.Run, run: session.Run) -> None:
    """Say that (and why) the run went back to step 0."""
    changed = [
        field.name
        for field in dataclasses.fields(run.settings)
        if getattr(previous.settings, field.name) != getattr(run.settings, field.name)
    ]
    if previous.data_id != run.data_id:
        changed.append("the data")
    was = f" (it was at step {previous.trainer.step:,})" if previous.trainer.step else ""
    with st.container(key="train_restarted"):
        st.info(
            f"Restarted at step 0: {', '.join(changed) or 'the settings'} changed{was}.", icon=":material/restart_alt:"
        )


def page() -> None:
    """Link -> widgets -> settings -> the run -> buttons -> the ticking views."""
    st.title("Live training lab")
    st.caption(
        "A small network maps 2-D points to 2-D features (or 3-D, on a sphere: Network, Feature dimension); "
        "a margin layer (L-Softmax or one of its successors, chosen under Loss) classifies them. "
        "Watch the features of each class gather into wedges around their class vector W, "
        "and the margin (grey) open between classes as m grows: the paper's Figure 2, live."
    )
    top = st.container()  # the lost-run notice, filled once the run is known
    lost_run.detect(has_run=session.current_run() is not None)
    first_load = session.SETTINGS_KEY not in st.session_state  # the link is read once per session
    session.restore_widgets(st.query_params.to_dict(), UI_LIMITS)
    if first_load:
        query = {name: st.query_params.get_all(name) for name in st.query_params}
        repeated = repeated_keys(query, list(TrainSettings.__dataclass_fields__))
        st.session_state[session.LINK_PROBLEMS_KEY][:0] = repeated
    for problem in st.session_state.pop(session.LINK_PROBLEMS_KEY, []):  # shown until the next full run
        notices.warning(problem)
    sidebar()
    if CSV_ERROR_KEY in st.session_state:
        notices.error(st.session_state[CSV_ERROR_KEY])
    custom = st.session_state.get(CUSTOM_KEY)
    n_points = len(custom.labels) if custom is not None and st.session_state[key("dataset")] == CUSTOM_DATASET else None
    settings, problem = session.settings_from_widgets(n_points)
    if problem:
        notices.error(f"{problem}. Keeping the previous settings.")
    data = (custom.inputs, custom.labels) if settings.dataset == CUSTOM_DATASET else None
    previous = session.current_run()
    run = session.ensure_run(settings, data, custom.digest if data is not None else "")
    # One slot, always there, for the notices that come and go: the live charts below keep their
    # place in the page (a chart whose place shifts is mounted afresh, losing zoom and blinking).
    with st.container():
        if previous is not None and run is not previous:
            restart_notice(previous, run)
        scale_warning(settings)
    started = run.running or run.trainer.step > 0
    session.write_link(settings, lost_run.marker(started))
    with top:
        lost_run.notice(started, play)
    buttons(run)
    steps_per_tick = st.session_state[STEPS_KEY]
    playing = session.playing_sessions()  # the more sessions play, the less often each browser asks
    every = {"live": session.TICK_SECONDS, "slow": session.SLOW_TICK_SECONDS}
    run.timers = {name: session.tick_seconds(base, playing) for name, base in every.items()} if run.running else {}
    st.fragment(run_every=run.timers.get("live"))(live_views)(run, steps_per_tick)
    st.fragment(run_every=run.timers.get("slow"))(slow_views)(run)
    share_link(settings)


page()
