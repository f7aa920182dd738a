"""Session plumbing of the live training page: one Run (a Trainer and its view state) per session.

Per-user mutable things live in st.session_state (streamlit-notes.md); what is shared by the
process is thread-safe: the turns (a first-come, first-served queue for the compute of a tick)
and a once-only torch.set_num_threads(1). Nothing here draws; app/views/train.py does.

Why turns: every session's ticks run in a thread of their own, and numpy and torch release
the GIL inside each operation. With many threads computing at once, each of those releases
hands the GIL to another thread and takes up to a switch interval (5 ms) to get it back, so a
training tick of a few hundred small operations took seconds: the old try-once semaphore was
then always held, and the sessions that found it taken never trained (16 sessions: 15 stalled).
Now a tick waits for its turn (the wait holds no GIL), computes alone, and the training part
of a turn shrinks as more sessions play, so each of N sessions gets about 1/N of the process.
Two more things keep the process's work useful under load: a tick waits until its chart has
left for the browser (Streamlit drops a fragment's unsent messages when its next run starts),
and each browser's timer asks less often the more sessions play (rerun requests cost the event
loop GIL time even when they are merged). bench/load.py --client protocol measures all three.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from app import environment
from app.figures.sphere import SphereScene
from app.figures.training import FeatureScene, RegionScene, nice_extent
from lab.settings import TrainSettings, model_name
from lsoftmax.geometry import feasible_arcs, margin_gaps, sphere_regions

RUN_KEY = "train_run"  # st.session_state key of the Run
TICK_SECONDS = 0.05  # the fragment's run_every while playing
TICK_BUDGET_SECONDS = 0.05  # a play tick stops training after this long, even short of its steps
MIN_TICK_BUDGET_SECONDS = 0.002  # the least a play tick trains when many sessions share the process
TURN_WAIT_SECONDS = 5.0  # a tick that waited this long for its turn gives up (redraws nothing)
INTERRUPT_POLL_SECONDS = 0.1  # how often a waiting tick checks whether a click wants the script
SEND_WAIT_SECONDS = 0.25  # the longest a tick waits for its chart to leave for the browser (wait_until_sent)
SEND_POLL_SECONDS = 0.002
PLAYING_WINDOW_SECONDS = 3.0  # a session ticked within this long counts as playing (> the longest tick interval)
SESSIONS_AT_FULL_RATE = 4  # up to this many sessions playing, each browser asks for a tick every TICK_SECONDS
DEFAULT_STEPS_PER_TICK = 10  # the page's "steps per tick" to start with: the default run's story takes 10-30 s
GRID_RESOLUTION = 60  # decision grid cells per side
MIN_GRID_RESOLUTION = 30  # heavy settings draw a coarser grid first (before their network is made smaller)
# 3-D features: the regions on the sphere are computed on a (R, 2R) grid of directions (sphere_regions,
# ~30 ms per model, throttled as the arcs are); each grid direction is one patch of the figure, and
# the patches are most of its payload (~65 KB at 30, ~40 KB per model at 24).
SPHERE_RESOLUTION = 30  # one model
COMPARE_SPHERE_RESOLUTION = 24  # per model in compare mode (up to 8 spheres in one update)
# Measured (bench/sphere.py): sphere_regions of a trained model costs ~6x feasible_arcs (its boundary
# bisection dominates), so while playing a sphere's regions are refreshed 4x less often than arcs.
SPHERE_REFRESH_SECONDS = 1.0
ARC_TOLERANCE = 0.005  # recompute a model's exact arcs when its W moved more than this (relative)
ARC_REFRESH_SECONDS = 0.25  # while playing, arcs are recomputed at most this often (x sessions playing)
SLOW_TICK_SECONDS = 0.5  # run_every of the fragment with the curves and the angle tables
# What one live update may compute, in multiply-adds (the heaviest measured rates here: ~0.5 GMAC/s
# for a training step, ~2 GMAC/s for a snapshot), so that a tick stays near its budget and Pause
# answers within half a second. A link asking for more is reduced, with a notice.
STEP_MAC_LIMIT = 25e6  # one training step of every model
SNAPSHOT_MAC_LIMIT = 100e6  # one snapshot: every point and the decision grid through every model
MAX_TRAINING_TICKS = environment.int_setting("LSOFTMAX_MAX_TRAINING_TICKS", 2)  # per process
# The toy MLP runs on the CPU: measured (bench/train.py), an H200 runs it 5-8x slower than one
# CPU core (it is launch-bound). LSOFTMAX_DEVICE=cuda forces CUDA (when present) to compare.
# The digits CNN (lab/digits.py) is big enough to gain from CUDA and picks it when present.
TOY_DEVICE = environment.choice_setting("LSOFTMAX_DEVICE", ("cpu", "cuda"), default="cpu")

_torch_threads = threading.local()


class Turns:
    """`count` turns at a time, given first come, first served (a lock or semaphore is not fair).

    A waiting thread sleeps on an event of its own (it holds no GIL) and a released turn is
    handed straight to the next in line, so a release wakes one thread, not every waiter.
    A thread whose wait exceeds its timeout leaves the queue: one stuck turn cannot stall
    the others for ever.
    """

    def __init__(self, count: int):
        self._lock = threading.Lock()
        self._free = count
        self._queue: collections.deque[threading.Event] = collections.deque()

    def acquire(self, timeout: float, interrupted=None) -> bool:
        """Wait for a turn (in arrival order) for at most `timeout` seconds (math.inf: no limit); True when granted.

        `interrupted`: a callable polled every INTERRUPT_POLL_SECONDS while waiting; when it
        returns True the wait ends without a turn (e.g. the user clicked Pause meanwhile).
        """
        with self._lock:
            if self._free > 0 and not self._queue:
                self._free -= 1
                return True
            granted = threading.Event()
            self._queue.append(granted)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            slice_ = left if interrupted is None else min(left, INTERRUPT_POLL_SECONDS)
            if granted.wait(None if math.isinf(slice_) else max(slice_, 0.0)):
                return True
            if left <= 0 or (interrupted is not None and interrupted()):
                break
        with self._lock:
            if granted.is_set():  # handed over just as the wait ended
                return True
            self._queue.remove(granted)
            return False

    def release(self) -> None:
        """Give the turn to the next in line (or free it)."""
        with self._lock:
            if self._queue:
                self._queue.popleft().set()
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        """Threads queued for a turn now."""
        return len(self._queue)


_turns = Turns(MAX_TRAINING_TICKS)
_playing: dict[int, float] = {}  # id(run) -> time.monotonic() of its last play tick
_playing_lock = threading.Lock()


def click_waiting() -> bool:
    """True when a full run (a click: Pause, Step, a widget) waits for this session's current script run.

    Streamlit preempts a fragment run only at its next st.* call, so a tick waiting for its
    turn would hold the click up; it polls this and gives up its wait instead. Reads
    Streamlit's private request state; anything unexpected there reads as False.
    """
    try:
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        requests = get_script_run_ctx(suppress_warning=True).script_requests
        if requests._state is ScriptRequestType.STOP:
            return True
        data = requests._rerun_data
        return requests._state is ScriptRequestType.RERUN and not (data.fragment_id or data.fragment_id_queue)
    except Exception:  # noqa: BLE001 (a Streamlit without these internals: no early exit, nothing worse)
        return False


def wait_until_sent(timeout: float = SEND_WAIT_SECONDS) -> None:
    """Block this script run until what it has shown so far has left for the browser (or `timeout`).

    Streamlit clears a fragment's unsent messages when that fragment's next run starts, and a
    tick's timer request is usually already waiting when the tick ends: under load the event
    loop often had no moment to send the finished tick's chart before the next tick began, and
    the chart was dropped unseen (8 sessions: two ticks in three computed for nothing). A tick
    calls this last. The script thread sleeps (no GIL, no turn held) until the event loop has
    taken its messages and sent the session's queue. Reads Streamlit's private session state;
    anything unexpected there returns at once.
    """
    try:
        from streamlit.runtime import Runtime
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        session_id = get_script_run_ctx(suppress_warning=True).session_id
        app_session = Runtime.instance()._session_mgr.get_active_session_info(session_id).session
        loop, queue = app_session._event_loop, app_session._browser_queue
    except Exception:  # noqa: BLE001 (a Streamlit without these internals: no wait, the old behaviour)
        return
    sent = threading.Event()

    def check() -> None:  # on the event loop: no thread wakes until the queue is empty
        if queue.is_empty():
            sent.set()
        else:
            loop.call_later(SEND_POLL_SECONDS, check)

    # call_soon_threadsafe runs after the callbacks that move this run's messages into the queue
    loop.call_soon_threadsafe(check)
    sent.wait(timeout)


@contextlib.contextmanager
def turn(timeout: float = TURN_WAIT_SECONDS, interrupted=None):
    """Hold one of the process's turns for the block (yields False, without one, after `timeout`).

    Everything a tick computes (training, snapshot, figures, encoding) belongs in a turn;
    Streamlit calls (st.*) belong after it. `interrupted`: see Turns.acquire.
    """
    granted = _turns.acquire(timeout, interrupted)
    try:
        yield granted
    finally:
        if granted:
            _turns.release()


def playing_sessions(run: Run | None = None) -> int:
    """Sessions of this process that played a tick within PLAYING_WINDOW_SECONDS (marks `run` as one)."""
    now = time.monotonic()
    with _playing_lock:
        if run is not None:
            _playing[id(run)] = now
        for key in [key for key, seen in _playing.items() if now - seen > PLAYING_WINDOW_SECONDS]:
            del _playing[key]
        return max(1, len(_playing))


def tick_seconds(base: float, playing: int) -> float:
    """A fragment's timer interval when `playing` sessions share the process: `base` up to
    SESSIONS_AT_FULL_RATE sessions, doubled with each doubling beyond (8 sessions: 2x, 32: 8x).

    Each session gets about 1/N of the process anyway; a browser asking more often only adds
    rerun requests for the event loop to take in and merge (32 sessions at 50 ms: 640 a second,
    a quarter of the GIL's time).
    """
    return base * 2 ** max(0, math.ceil(math.log2(max(1, playing) / SESSIONS_AT_FULL_RATE)))


def keep_timer(run: Run, name: str, seconds: float) -> None:
    """Re-arm the running fragment's timer in the browser when its interval should change.

    Streamlit sends a fragment's AutoRerun only in a full run; the browser replaces a fragment's
    timer whenever an AutoRerun names it with another interval, so a tick sends one itself when
    the sessions playing changed enough. `run.timers` holds the interval the browser was given.
    Uses Streamlit's private run context; anything unexpected there leaves the timer as it is.
    """
    if run.timers.get(name) == seconds:
        return
    try:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, get_script_run_ctx

        fragment_id = ThreadState.get().fragment_id
        if not fragment_id:
            return
        message = ForwardMsg()
        message.auto_rerun.interval = seconds
        message.auto_rerun.fragment_id = fragment_id
        get_script_run_ctx(suppress_warning=True).enqueue(message)
        run.timers[name] = seconds
    except Exception:  # noqa: BLE001 (the timer keeps its interval)
        return


def tick_budget(playing: int) -> float:
    """Training seconds of one play tick when `playing` sessions share the process."""
    return max(MIN_TICK_BUDGET_SECONDS, TICK_BUDGET_SECONDS / max(1, playing))


def set_torch_threads_once() -> None:
    """One intra-op torch thread (the models are tiny; more threads only contend).

    torch keeps this setting per thread (threads started later inherit it) and Streamlit
    runs every script run in a thread of its own, so it is set once in each thread.
    """
    if getattr(_torch_threads, "done", False):
        return
    import torch

    torch.set_num_threads(1)
    _torch_threads.done = True


@dataclass
class Arcs:
    """A model's exact feasible arcs and margin gaps (or, in 3-D, its regions on the sphere), and
    the W they were computed for."""

    weights: np.ndarray  # (K, D)
    arcs: list
    gaps: list  # (start, end) radians, widths > 0
    computed_at: float = 0.0  # time.perf_counter()
    sphere: object = None  # 3-D: lsoftmax.geometry.SphereRegions (arcs and gaps then stay empty)


@dataclass
class Run:
    """One training run and what the page remembers between ticks."""

    settings: TrainSettings
    data_id: str  # "" for registry data, else the digest of the user's CSV
    trainer: object  # lab.train.Trainer (imported lazily: torch is slow to import)
    running: bool = False
    feature_extent: float = 1.0  # half-width of the feature-space axes; grows with the features
    model_extents: tuple = ()  # compare mode: each model's own half-width (their |x| can differ 10x)
    steps_per_second: float = 0.0  # training steps per wall-clock second while playing
    last_tick: float = 0.0  # time.perf_counter() of the last play tick
    skipped_ticks: int = 0  # play ticks in a row that trained nothing (no turn within TURN_WAIT_SECONDS)
    step_seconds: float = 0.0  # measured seconds per training step (sizes the first chunk of a tick)
    payloads: dict = field(default_factory=dict)  # chart key -> the last payload sent (a tick without news resends it)
    arcs: dict[int, Arcs] = field(default_factory=dict)  # per model index
    grid_resolution: int = GRID_RESOLUTION  # decision grid cells per side (live_grid_resolution)
    snapshot: object = None  # the last lab.train.Snapshot drawn (the slow views reuse it)
    timers: dict[str, float] = field(default_factory=dict)  # fragment name -> timer interval the browser has


@dataclass(frozen=True)
class TickOutcome:
    """What one play tick or Step did."""

    steps: int  # steps trained
    busy: bool  # skipped: no turn came within TURN_WAIT_SECONDS
    diverged: str | None  # the trainer's message when it diverged


def new_run(settings: TrainSettings, data=None, data_id: str = "") -> Run:
    """A fresh Run for these settings (and the user's (X, y) when settings.dataset is 'custom')."""
    set_torch_threads_once()
    from lab.train import Trainer

    trainer = Trainer(settings, data=data, device=TOY_DEVICE)
    grid = live_grid_resolution(settings, None if data is None else len(data[1]))
    return Run(settings=settings, data_id=data_id, trainer=trainer, grid_resolution=grid)


def ensure_run(settings: TrainSettings, data=None, data_id: str = "") -> Run:
    """The session's Run, rebuilt from step 0 (same seed) when the settings or the data changed."""
    run = st.session_state.get(RUN_KEY)
    if run is None or run.settings != settings or run.data_id != data_id:
        running = run.running if run is not None else False
        run = new_run(settings, data, data_id)
        run.running = running
        st.session_state[RUN_KEY] = run
    return run


def current_run() -> Run | None:
    """The session's Run, if the page has made one."""
    return st.session_state.get(RUN_KEY)


def train_steps(run: Run, steps: int, budget_seconds: float | None = None, *, in_turn: bool = False) -> TickOutcome:
    """Train up to `steps` (all of them when budget_seconds is None) in this process's next turn.

    `in_turn`: the caller already holds a turn (a play tick holds one for all its compute).
    """
    if not in_turn:
        with turn() as granted:
            if not granted:
                run.skipped_ticks += 1
                return TickOutcome(0, True, None)
            return train_steps(run, steps, budget_seconds, in_turn=True)
    done = _train_within(run, steps, budget_seconds)
    run.skipped_ticks = 0
    diverged = run.trainer.diverged
    if diverged is not None:
        run.running = False
    return TickOutcome(done, False, diverged)


def _train_within(run: Run, steps: int, budget_seconds: float | None) -> int:
    """Train in chunks sized from the measured step time until `steps` or the budget is reached.

    The first chunk is sized from the run's last measured step time (one step when unknown),
    so a heavy network does not overrun the budget by a fixed number of steps.
    """
    trainer = run.trainer
    began, done = time.perf_counter(), 0
    if budget_seconds is None:
        chunk = steps
    elif run.step_seconds:
        chunk = max(1, min(steps, int(budget_seconds / run.step_seconds)))
    else:
        chunk = 1
    while done < steps:
        report = trainer.train(min(chunk, steps - done))
        done += report.steps_done
        if report.diverged or report.steps_done == 0:
            break
        elapsed = time.perf_counter() - began
        per_step = max(elapsed / done, 1e-6)
        run.step_seconds = per_step
        if budget_seconds is None:
            chunk = steps - done
            continue
        left = budget_seconds - elapsed
        if left < per_step:
            break
        chunk = max(1, int(left / per_step))
    return done


def play_tick(run: Run, steps: int, *, in_turn: bool = False) -> TickOutcome:
    """One tick while playing: training bounded by this process's share, and the steps/s the user sees."""
    now = time.perf_counter()
    outcome = train_steps(run, steps, tick_budget(playing_sessions(run)), in_turn=in_turn)
    if run.last_tick and outcome.steps:
        rate = outcome.steps / max(now - run.last_tick, 1e-3)
        run.steps_per_second = rate if not run.steps_per_second else 0.7 * run.steps_per_second + 0.3 * rate
    run.last_tick = now
    return outcome


def next_extent(current: float, needed: float) -> float:
    """Feature-axis half-width: grows at once to fit, shrinks only when 2x too wide (few jumps, zoom kept)."""
    wanted = nice_extent(needed)
    if wanted > current or wanted * 2 < current:
        return wanted
    return current


def _moved(old: np.ndarray, new: np.ndarray) -> float:
    scale = max(float(np.abs(new).max()), 1e-12)
    return float(np.abs(new - old).max()) / scale


def _exact_arcs(weights: np.ndarray, margin, resolution: int = SPHERE_RESOLUTION) -> Arcs:
    """The arcs of each class's criterion for this member (margin-family.md section 2), or its regions on the sphere."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape[1] == 3:
        try:
            regions = sphere_regions(weights, margin, resolution)
        except ValueError:  # a zero or non-finite class vector: nothing to draw
            regions = None
        return Arcs(weights, [], [], time.perf_counter(), sphere=regions)
    try:
        arcs = feasible_arcs(weights, margin)
    except ValueError:  # a zero or non-finite class vector: nothing to draw
        return Arcs(weights, [[] for _ in weights], [], time.perf_counter())
    gaps = [(gap.start, gap.end) for gap in margin_gaps(arcs) if gap.width > 0]
    return Arcs(weights, arcs, gaps, time.perf_counter())


def refresh_arcs(run: Run, snapshot, max_updates: int, min_age: float = 0.0) -> list[Arcs]:
    """Each model's exact arcs, recomputing at most max_updates stale ones (most moved first).

    Stale: W moved by more than ARC_TOLERANCE and the arcs are older than min_age seconds.
    feasible_arcs costs ~20-30 ms per model, so play ticks refresh one model at a time and
    at most every ARC_REFRESH_SECONDS per session playing in the process (the process then
    spends the same on arcs however many play); a paused page refreshes every model (exact for this W).
    """
    stale, now = [], time.perf_counter()
    for g, m in enumerate(snapshot.margins):
        cached = run.arcs.get(g)
        if cached is None or cached.weights.shape != snapshot.weights[g].shape:
            stale.append((math.inf, g, m))
        elif now - cached.computed_at >= min_age:
            moved = _moved(cached.weights, snapshot.weights[g])
            if moved > ARC_TOLERANCE:
                stale.append((moved, g, m))
    resolution = SPHERE_RESOLUTION if len(snapshot.margins) == 1 else COMPARE_SPHERE_RESOLUTION
    for _, g, m in sorted(stale, reverse=True)[:max_updates]:
        run.arcs[g] = _exact_arcs(snapshot.weights[g], m, resolution)
    return [run.arcs.get(g) or Arcs(snapshot.weights[g], [], []) for g in range(len(snapshot.margins))]


def scenes(run: Run, snapshot, playing: bool) -> tuple[list[RegionScene], list[FeatureScene]]:
    """The figure inputs for every model of a snapshot (and the feature-axis extent in run): the
    feature scenes are SphereScenes when the features are 3-D."""
    norms = np.linalg.norm(snapshot.features, axis=-1)  # (G, N), any D
    run.feature_extent = next_extent(run.feature_extent, float(np.max(norms)) if norms.size else 1.0)
    previous = run.model_extents if len(run.model_extents) == len(norms) else (1.0,) * len(norms)
    run.model_extents = tuple(
        next_extent(old, float(np.max(row)) if row.size else 1.0) for old, row in zip(previous, norms, strict=True)
    )
    n_classes = snapshot.weights.shape[1]
    regions, features = [], []
    if playing:
        every = SPHERE_REFRESH_SECONDS if snapshot.weights.shape[-1] == 3 else ARC_REFRESH_SECONDS
        all_arcs = refresh_arcs(run, snapshot, max_updates=1, min_age=every * playing_sessions())
    else:
        all_arcs = refresh_arcs(run, snapshot, max_updates=len(snapshot.margins))
    for g, arcs in enumerate(all_arcs):
        regions.append(
            RegionScene(
                snapshot.grid_x,
                snapshot.grid_y,
                snapshot.grid_class[g],
                snapshot.grid_confidence[g],
                snapshot.inputs,
                snapshot.labels,
                snapshot.is_test,
                n_classes,
            )
        )
        if snapshot.features.shape[-1] == 3:
            title = model_name(snapshot.margins[g])
            sphere = SphereScene(
                snapshot.features[g], snapshot.labels, snapshot.is_test, snapshot.weights[g], arcs.sphere, title
            )
            features.append(sphere)
            continue
        features.append(
            FeatureScene(
                snapshot.features[g],
                snapshot.labels,
                snapshot.is_test,
                snapshot.weights[g],
                arcs.arcs,
                arcs.gaps,
                model_name(snapshot.margins[g]),
            )
        )
    return regions, features


# ------------------------------------------------------------------ the user's CSV


@dataclass(frozen=True)
class CustomData:
    """Points from the user's CSV."""

    inputs: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,) int classes 0..K-1
    name: str  # the file name
    digest: str  # identifies the content (a change of data restarts the run)
    class_names: tuple = ()  # the file's labels in class order: class j + 1 is class_names[j]

    @property
    def n_classes(self) -> int:
        return int(self.labels.max()) + 1


def load_uploaded_csv(uploaded) -> CustomData:
    """Parse an uploaded file (anything with .name and .getvalue()); ValueError with the reason if bad."""
    from lab.user_data import class_names, parse_points_csv

    content = uploaded.getvalue()
    inputs, labels = parse_points_csv(content)
    digest = hashlib.sha256(content).hexdigest()[:16]
    return CustomData(inputs, labels, str(uploaded.name), digest, tuple(class_names(content)))


# ------------------------------------------------------------------ settings <-> widgets <-> URL

WIDGET_PREFIX = "ts_"  # widget key of TrainSettings field f: "ts_" + f
SETTINGS_KEY = "train_settings"  # the settings the widgets last showed (survive page switches)
LINK_PROBLEMS_KEY = "train_link_problems"


def widget_key(name: str) -> str:
    """Widget key of TrainSettings field `name`."""
    return WIDGET_PREFIX + name


def _widget_value(name: str, value):
    return list(value) if name == "compare" else value


def _macs_per_point(settings: TrainSettings, width: int) -> int:
    """Multiply-adds of one point through one model (hidden layers, the D-dimensional feature layer, the head)."""
    layers, dim = settings.hidden_layers, settings.feature_dim
    hidden = 2 * width + (layers - 1) * width * width + width * dim if layers else 2 * dim
    return hidden + dim * settings.effective_classes


def live_costs(
    settings: TrainSettings, n_points: int | None = None, width: int | None = None, grid: int = MIN_GRID_RESOLUTION
) -> tuple[float, float]:
    """(multiply-adds of one training step, of one snapshot with a grid x grid decision grid).

    A step is forward + backward of a batch (~3x a forward pass); a snapshot is a forward
    pass of every point and every grid cell, through every model.
    """
    width = settings.hidden_width if width is None else width
    points = settings.n_samples if n_points is None else n_points
    per_point = _macs_per_point(settings, width) * len(settings.margins)
    return 3.0 * settings.batch_size * per_point, float(points + grid**2) * per_point


def live_grid_resolution(settings: TrainSettings, n_points: int | None = None) -> int:
    """GRID_RESOLUTION, or a coarser grid (down to MIN_GRID_RESOLUTION) when the snapshot would be too heavy."""
    grid = GRID_RESOLUTION
    while grid > MIN_GRID_RESOLUTION and live_costs(settings, n_points, grid=grid)[1] > SNAPSHOT_MAC_LIMIT:
        grid -= 5
    return grid


def live_limit_problem(settings: TrainSettings, n_points: int | None = None) -> str | None:
    """Why these settings are too heavy for a live update (None when they fit)."""
    step, snapshot = live_costs(settings, n_points)
    if step <= STEP_MAC_LIMIT and snapshot <= SNAPSHOT_MAC_LIMIT:
        return None
    return (
        f"{len(settings.margins)} model(s) of {settings.hidden_layers} hidden layers x {settings.hidden_width} units "
        f"with batch size {settings.batch_size} need {step / 1e6:,.0f} million multiply-adds per training step and "
        f"{snapshot / 1e6:,.0f} million per update (a live update allows {STEP_MAC_LIMIT / 1e6:,.0f} and "
        f"{SNAPSHOT_MAC_LIMIT / 1e6:,.0f}): use fewer units, layers, models or a smaller batch"
    )


def fit_live_limits(settings: TrainSettings, n_points: int | None = None) -> tuple[TrainSettings, list[str]]:
    """Settings a live update can compute (at the coarsest grid): fewer hidden units, then a smaller batch."""
    width = settings.hidden_width
    while width > 2 and live_costs(settings, n_points, width)[1] > SNAPSHOT_MAC_LIMIT:
        width = max(2, width - max(1, width // 8))
    fitted = dataclasses.replace(settings, hidden_width=width)
    per_step = live_costs(dataclasses.replace(fitted, batch_size=1), n_points)[0]
    batch = min(settings.batch_size, max(1, int(STEP_MAC_LIMIT // per_step)))
    fitted = dataclasses.replace(fitted, batch_size=batch)
    changed = (("hidden_width", settings.hidden_width, width), ("batch_size", settings.batch_size, batch))
    problems = [
        f"{name}={before} is more than one live update can compute with these settings; using {after}"
        for name, before, after in changed
        if before != after
    ]
    return fitted, problems


def settings_from_link(query: dict, ui_limits: dict) -> tuple[TrainSettings, list[str]]:
    """Settings from an incoming link, clamped to what the widgets offer and to what a live update can compute."""
    settings, problems = TrainSettings.from_query(query)
    changes = {}
    for name, (low, high) in ui_limits.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            changes[name] = min(max(value, low), high)
            problems.append(f"{name}={value} is outside what this page offers ({low}..{high}); using {changes[name]}")
    settings, heavy = fit_live_limits(dataclasses.replace(settings, **changes))
    return settings, problems + heavy


def restore_widgets(query: dict, ui_limits: dict) -> None:
    """Before the widgets: load the link once per session, and refill widget state lost on a page switch."""
    if SETTINGS_KEY not in st.session_state:
        settings, problems = settings_from_link(query, ui_limits)
        st.session_state[SETTINGS_KEY] = settings
        st.session_state[LINK_PROBLEMS_KEY] = problems
    settings = st.session_state[SETTINGS_KEY]
    for name in TrainSettings.__dataclass_fields__:
        if widget_key(name) not in st.session_state:
            st.session_state[widget_key(name)] = _widget_value(name, getattr(settings, name))


def settings_from_widgets(n_points: int | None = None) -> tuple[TrainSettings, str | None]:
    """The settings the widgets now show (or the last good ones and why, if they do not validate or are too heavy).

    `n_points`: the size of the user's data when it is the dataset (else settings.n_samples).
    """
    previous = st.session_state[SETTINGS_KEY]
    values = {}
    for name in TrainSettings.__dataclass_fields__:
        value = st.session_state.get(widget_key(name), getattr(previous, name))
        values[name] = tuple(value) if name == "compare" else value  # compare keeps the order chosen
    try:
        settings = TrainSettings(**values)
    except ValueError as error:
        return previous, str(error)
    heavy = live_limit_problem(settings, n_points)
    if heavy is not None and settings != previous:
        return previous, heavy
    st.session_state[SETTINGS_KEY] = settings
    return settings, None


def write_link(settings: TrainSettings, extra: dict[str, str] | None = None) -> None:
    """Keep the browser's URL equal to the settings (only the ones that differ from the defaults), plus extra."""
    query = {**settings.to_query(), **(extra or {})}
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
