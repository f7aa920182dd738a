"""Live training figures: checked against slow loops and the exact geometry, and validated by plotly."""

import itertools
import math
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from app.figures import training
from app.figures.style import class_color
from lab.angles import angle_stats
from lsoftmax.geometry import arc_contains, feasible_arcs, margin_gaps


def region_scene(n_classes=3, resolution=6, count=40, seed=0):
    rng = np.random.default_rng(seed)
    axis = np.linspace(-2, 2, resolution)
    return training.RegionScene(
        grid_x=axis,
        grid_y=axis,
        grid_class=rng.integers(0, n_classes, (resolution, resolution)),
        grid_confidence=rng.uniform(1 / n_classes, 1, (resolution, resolution)),
        inputs=rng.normal(size=(count, 2)),
        labels=rng.integers(0, n_classes, count),
        is_test=rng.uniform(size=count) < 0.3,
        n_classes=n_classes,
    )


def feature_scene(m=3, n_classes=3, count=40, seed=1):
    rng = np.random.default_rng(seed)
    angles = np.arange(n_classes) * 2 * math.pi / n_classes + 0.3
    weights = np.stack([np.cos(angles), np.sin(angles)], axis=1) * rng.uniform(0.5, 2, (n_classes, 1))
    arcs = feasible_arcs(weights, m)
    gaps = [(gap.start, gap.end) for gap in margin_gaps(arcs) if gap.width > 0]
    labels = rng.integers(0, n_classes, count)
    return training.FeatureScene(
        features=rng.normal(size=(count, 2)) * 3,
        labels=labels,
        is_test=rng.uniform(size=count) < 0.3,
        weights=weights,
        arcs=arcs,
        gaps=gaps,
        title=f"m = {m}",
    )


@pytest.mark.parametrize("n_classes", [2, 4, 10])
def test_decision_codes_match_a_slow_loop(n_classes):
    rng = np.random.default_rng(n_classes)
    grid_class = rng.integers(0, n_classes, (7, 5))
    confidence = rng.uniform(1 / n_classes, 1, (7, 5))
    codes = training.decision_codes(grid_class, confidence, n_classes)
    assert codes.dtype == np.uint8 and codes.shape == (7, 5)
    for (row, col), code in np.ndenumerate(codes):
        relative = (confidence[row, col] - 1 / n_classes) / (1 - 1 / n_classes)
        band = min(int(relative * training.LEVELS), training.LEVELS - 1)
        assert code == grid_class[row, col] * training.LEVELS + band


@pytest.mark.parametrize("n_classes", [2, 5, 10])
def test_colorscale_gives_each_code_its_class_colour(n_classes):
    scale = training.decision_colorscale(n_classes)
    positions = [position for position, _ in scale]
    assert positions[0] == 0 and positions[-1] == pytest.approx(1) and positions == sorted(positions)
    count = n_classes * training.LEVELS
    for code in range(count):
        centre = (code + 0.5) / count
        color = next(c for (low, c), (high, _) in zip(scale, scale[1:], strict=False) if low <= centre <= high)
        red, green, blue = (int(class_color(code // training.LEVELS)[i : i + 2], 16) for i in (1, 3, 5))
        mixed = [int(v) for v in color[4:-1].split(",")]
        alpha = 0.12 + 0.38 * (code % training.LEVELS) / (training.LEVELS - 1)
        assert mixed == pytest.approx([255 + alpha * (v - 255) for v in (red, green, blue)], abs=0.51)


@pytest.mark.parametrize(("count", "limit"), [(0, 5), (3, 5), (5, 5), (6, 5), (1000, 37)])
def test_display_subset_is_even_and_bounded(count, limit):
    chosen = training.display_subset(count, limit)
    assert len(chosen) == min(count, limit)
    assert np.all(np.diff(chosen) > 0)
    if count:
        assert chosen[0] == 0 and chosen[-1] == count - 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 0.7), (0.9, 1.5), (1.0, 1.5), (2.6, 3.0), (3.4, 4.0), (4.0, 5.0), (80.0, 100.0), (0, 1.0)],
)
def test_nice_extent(value, expected):
    assert training.nice_extent(value) == pytest.approx(expected)


def test_arc_xy_lies_on_the_circle_between_its_ends():
    x, y = training.arc_xy(0.5, 2.0, 3.0)
    np.testing.assert_allclose(np.hypot(x, y), 3.0, rtol=1e-6)
    angles = np.arctan2(y, x)
    assert angles[0] == pytest.approx(0.5, abs=1e-6) and angles[-1] == pytest.approx(2.0, abs=1e-6)
    assert np.all(np.diff(angles) > 0) and np.max(np.diff(angles)) <= training.ARC_STEP + 1e-9


def test_arcs_are_drawn_inside_each_class_feasible_directions():
    scene = feature_scene(m=3)
    traces = training.margin_traces(scene, extent=4.0, index=2, show_legend=True)
    for j, trace in enumerate(traces[1:]):
        x, y = trace["x"], trace["y"]
        keep = np.isfinite(x)
        np.testing.assert_allclose(np.hypot(x[keep], y[keep]), training.ARC_RADIUS * 4.0, rtol=1e-5)
        phi = np.arctan2(y[keep], x[keep])
        offsets = np.mod(phi[:, None] - np.ravel(scene.arcs[j])[None, :], 2 * math.pi)
        at_an_end = np.minimum(offsets, 2 * math.pi - offsets).min(axis=1) < 1e-5  # float32 rounding
        strict = arc_contains(scene.arcs[j], phi) | at_an_end
        assert strict.all(), f"class {j} arc drawn outside its feasible directions"
        assert trace["line"]["color"] == class_color(j)
    assert traces[0]["fill"] == "toself"


def test_class_vectors_point_along_w_and_fit_the_panel():
    scene = feature_scene()
    traces = training.weight_traces(scene.weights, extent=5.0, index=1)
    tips = np.array([[trace["x"][1], trace["y"][1]] for trace in traces])
    norms = np.hypot(scene.weights[:, 0], scene.weights[:, 1])
    np.testing.assert_allclose(tips / np.hypot(tips[:, :1], tips[:, 1:]), scene.weights / norms[:, None], atol=1e-9)
    assert np.hypot(tips[:, 0], tips[:, 1]).max() == pytest.approx(training.ARROW_REACH * 5.0)
    np.testing.assert_allclose(np.hypot(tips[:, 0], tips[:, 1]) / norms, training.ARROW_REACH * 5.0 / norms.max())


def test_feature_points_are_split_by_class_and_split():
    scene = feature_scene(count=60)
    traces = training.feature_point_traces(scene, 1, show_legend=True)
    assert len(traces) == 2 * 3
    drawn = sum(len(trace["x"]) for trace in traces)
    assert drawn == 60
    for trace in traces:
        j = int(trace["name"].split()[-1]) - 1
        held_out = trace["marker"]["symbol"] == "circle-open"
        mask = (scene.labels == j) & (scene.is_test == held_out)
        np.testing.assert_array_equal(np.sort(trace["x"]), np.sort(scene.features[mask, 0]))


def test_region_traces_draw_the_grid_codes_and_every_point_once():
    scene = region_scene(count=50)
    traces = training.region_traces(scene, 1)
    heatmap = traces[0]
    np.testing.assert_array_equal(
        heatmap["z"], training.decision_codes(scene.grid_class, scene.grid_confidence, scene.n_classes)
    )
    points = [trace for trace in traces[1:] if trace.get("showlegend") is False]
    assert sum(len(trace["x"]) for trace in points) == 50
    for trace in points:
        held_out = trace["name"] == "test points"
        mask = scene.is_test == held_out
        np.testing.assert_array_equal(trace["x"], scene.inputs[mask, 0])
        np.testing.assert_array_equal(trace["marker"]["color"], scene.labels[mask])
    legend = [trace["name"] for trace in traces[1:] if trace.get("showlegend") is not False]
    assert legend == ["train points", "test points"]


def test_single_figure_is_valid_plotly_and_square():
    figure = training.single_figure(region_scene(), feature_scene(), feature_extent=5.0)
    validated = go.Figure(figure)  # raises on any unknown property
    assert validated.layout.yaxis2.scaleanchor == "x2" and validated.layout.xaxis2.range == (-5.0, 5.0)
    assert validated.layout.uirevision == training.UI_REVISION
    assert validated.data[0].type == "heatmap" and validated.data[0].xaxis == "x"


def test_compare_figure_has_one_panel_per_model():
    models = [feature_scene(m=m) for m in (1, 2, 4)]
    figure = training.compare_figure([region_scene()] * 3, models, feature_extent=5.0)
    validated = go.Figure(figure)
    titles = [annotation.text for annotation in validated.layout.annotations]
    assert titles[::2] == ["features, m = 1 (±5)", "features, m = 2 (±5)", "features, m = 4 (±5)"]
    assert validated.layout.yaxis4.scaleanchor == "x4" and validated.layout.xaxis4.range == (-2.0, 2.0)
    assert {trace.xaxis for trace in validated.data} == {f"x{i}" if i > 1 else "x" for i in range(1, 7)}
    with pytest.raises(ValueError, match="regions empty or as many"):
        training.compare_figure([region_scene()], models, feature_extent=5.0)


@pytest.mark.parametrize("with_regions", [False, True])
def test_three_or_four_models_are_drawn_in_a_two_by_two_grid(with_regions):
    models = [feature_scene(m=m) for m in (1, 2, 3, 4)]
    regions = [region_scene()] * 4 if with_regions else []
    validated = go.Figure(training.compare_figure(regions, models, feature_extent=5.0))
    layout = validated.layout
    x = {i: layout[f"xaxis{i if i > 1 else ''}"].domain for i in range(1, 5)}
    y = {i: layout[f"yaxis{i if i > 1 else ''}"].domain for i in range(1, 5)}
    assert x[1] == x[3] and x[2] == x[4] and x[1][1] < x[2][0]  # two columns
    assert y[1] == y[2] and y[3] == y[4] and y[3][1] < y[1][0]  # two rows, m = 1 and 2 on top
    assert all(domain[1] - domain[0] > 0.45 for domain in x.values())  # each about half the width
    assert layout.height >= 2 * training.COMPARE_HEIGHTS[int(with_regions)] - 60  # two rows of models
    if with_regions:  # each model's decision regions right under its features
        for g in range(1, 5):
            below = layout[f"yaxis{g + 4}"].domain
            assert layout[f"xaxis{g + 4}"].domain == x[g] and below[1] < y[g][0]
            assert g > 2 or below[0] > y[g + 2][1]  # above the next row's features
    else:
        assert not [trace for trace in validated.data if trace.type == "heatmap"]


def test_compare_panels_can_each_have_their_own_range():
    models = [feature_scene(m=m) for m in (1, 4)]
    validated = go.Figure(training.compare_figure([], models, feature_extent=[80.0, 3.0]))
    assert validated.layout.xaxis.range == (-80.0, 80.0) and validated.layout.yaxis2.range == (-3.0, 3.0)
    assert validated.layout.annotations[1].text == "features, m = 4 (±3)"
    with pytest.raises(ValueError, match="one per model"):
        training.compare_figure([], models, feature_extent=[1.0, 2.0, 3.0])


def test_compare_figure_without_regions_draws_features_only():
    models = [feature_scene(m=m) for m in (1, 4)]
    validated = go.Figure(training.compare_figure([], models, feature_extent=5.0))
    assert [annotation.text for annotation in validated.layout.annotations] == [
        "features, m = 1 (±5)",
        "features, m = 4 (±5)",
    ]
    assert {trace.xaxis for trace in validated.data} == {"x", "x2"}
    assert not [trace for trace in validated.data if trace.type == "heatmap"]
    assert validated.layout.height == training.COMPARE_HEIGHTS[0]


@pytest.mark.parametrize("model_count", [1, 3])
def test_history_figure_draws_every_series(model_count):
    steps = np.arange(1, 11)
    rng = np.random.default_rng(0)
    history = {"step": steps, **{key: rng.uniform(0.1, 1, (10, model_count)) for key, *_ in training.HISTORY_SERIES}}
    names = [f"m = {m}" for m in range(1, model_count + 1)]
    figure = training.history_figure(history, names)
    validated = go.Figure(figure)
    assert len(validated.data) == len(training.HISTORY_SERIES) * model_count + 1  # + lambda on the loss panel
    for (_, panel, *_), trace in zip(
        [series for series in training.HISTORY_SERIES for _ in range(model_count)], figure["data"][:-1], strict=True
    ):
        assert trace["xaxis"] == ("x" if panel == 0 else f"x{panel + 1}")
    overlay = validated.data[-1]
    assert overlay.yaxis == "y4" and validated.layout.yaxis4.overlaying == "y"
    np.testing.assert_allclose(overlay.y, history["lambda"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(figure["data"][0]["y"], history["train_loss"][:, 0], rtol=1e-6)
    assert validated.layout.yaxis.type == "log" and validated.layout.yaxis3.type == "log"
    history["lambda"][3] = 0.0  # a schedule that reaches zero cannot use a log axis
    assert go.Figure(training.history_figure(history, names)).layout.yaxis3.type == "linear"


def test_history_at_step_zero_has_a_sane_step_axis_and_log_axes_label_only_decades():
    one_row = {"step": np.array([0]), **{key: np.array([[0.7]]) for key, *_ in training.HISTORY_SERIES}}
    layout = go.Figure(training.history_figure(one_row, ["m = 4"])).layout
    assert layout.xaxis.range == (0, training.MIN_STEP_AXIS) and layout.xaxis3.range == (0, training.MIN_STEP_AXIS)
    # within a decade: labels only at powers of ten, and the range takes in one on each side (0.7 -> 0.1..1)
    assert layout.yaxis.dtick == 1 and layout.yaxis.range == (-1, 0) and layout.yaxis3.range == (-1, 0)
    steps = np.array([0, 500, 1000])
    wide = {"step": steps, **{key: np.array([[1000.0], [1.0], [0.01]]) for key, *_ in training.HISTORY_SERIES}}
    layout = go.Figure(training.history_figure(wide, ["m = 4"])).layout
    assert layout.xaxis.range is None  # past the first rows the axis follows the data
    assert layout.yaxis.dtick == 1 and layout.yaxis3.dtick == 1 and layout.yaxis.range is None


def test_numbers_table_has_the_latest_values_per_model():
    snapshot = SimpleNamespace(
        step=1234,
        lambdas=np.array([0.5, 0.5]),
        train_loss=np.array([0.123456, 0.9]),
        train_plain_loss=np.array([0.1, 0.2]),
        test_loss=np.array([0.25, 0.3]),
        train_acc=np.array([0.987, 1.0]),
        test_acc=np.array([0.95, 0.5]),
    )
    rows = training.numbers_table(snapshot, ["m = 1", "m = 4"], epoch=3.25)
    assert rows[0] == {
        "model": "m = 1",
        "step": "1,234",
        "epoch": "3.2",
        "lambda": "0.5",
        "train loss (margin)": "0.1235",
        "train loss (plain)": "0.1000",
        "test loss": "0.2500",
        "train accuracy": "98.7%",
        "test accuracy": "95.0%",
    }
    assert rows[1]["test accuracy"] == "50.0%"


def test_angle_tables_show_the_stats():
    features = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    weights = np.array([[1.0, 0.0], [0.0, 3.0]])
    stats = angle_stats(features, np.array([0, 0, 1]), weights)
    rows = training.angle_table([stats], ["m = 2"])
    assert rows[0] == {"class": "class 1", "angle to own W (°)": "22.5 ± 22.5", "|W|": "1"}
    assert rows[1]["angle to own W (°)"] == "0.0 ± 0.0" and rows[1]["|W|"] == "3"
    compared = training.angle_table([stats, stats], ["m = 1", "m = 4"])
    assert compared[0] == {
        "class": "class 1",
        "m = 1: angle to W (°), |W|": "22.5 ± 22.5, 1",
        "m = 4: angle to W (°), |W|": "22.5 ± 22.5, 1",
    }
    summary = training.model_table([stats, stats], ["m = 1", "m = 2"])
    assert summary[1]["smallest angle between class vectors (°)"] == "90.0"
    assert summary[0]["mean |x|"] == f"{(1 + math.sqrt(2) + 2) / 3:.3g}"


def _fonts(node) -> list[float]:
    """Every font size set anywhere in a figure dict (layout or traces)."""
    if isinstance(node, dict):
        sizes = [node["size"]] if "size" in node and isinstance(node["size"], int | float) else []
        return sizes + [size for key, value in node.items() for size in _fonts(value) if key != "marker"]
    if isinstance(node, list):
        return [size for value in node for size in _fonts(value)]
    return []


@pytest.mark.parametrize("build", ["single", "compare", "history"])
def test_training_charts_take_the_presenter_sizes(build, monkeypatch):
    from app import live_chart, presenter
    from app.figures.style import PRESENT_TEXT_MIN
    from app.live_chart.theme import PRESENT_LINE_SCALE

    models = [feature_scene(m=m) for m in (1, 2, 3, 4)]
    history = {"step": [0, 10], **{key: [[1.0] * 4, [0.5] * 4] for key, *_ in training.HISTORY_SERIES}}
    figure = {
        "single": lambda: training.single_figure(region_scene(), models[0], 5.0),
        "compare": lambda: training.compare_figure([region_scene()] * 4, models, 5.0),
        "history": lambda: training.history_figure(history, [f"m = {m}" for m in (1, 2, 3, 4)]),
    }[build]()
    sent = {}
    for present in (False, True):
        monkeypatch.setattr(presenter, "enabled", lambda present=present: present)
        sent[present], _ = live_chart.unpack_message(live_chart.chart_payload(figure, height=400))
    assert sent[True]["present"] is True and "present" not in sent[False]
    plain, shown = sent[False]["figure"], sent[True]["figure"]
    assert min(_fonts(plain["layout"])) < PRESENT_TEXT_MIN  # so the check below can fail
    assert min(_fonts(shown["layout"])) >= PRESENT_TEXT_MIN and min(_fonts(shown["data"]) or [99]) >= PRESENT_TEXT_MIN
    axes = [name for name in shown["layout"] if name.startswith(("xaxis", "yaxis"))]
    assert axes and all(shown["layout"][name]["tickfont"]["size"] >= PRESENT_TEXT_MIN for name in axes)
    widths = [(a["line"]["width"], b["line"]["width"]) for a, b in zip(plain["data"], shown["data"], strict=True)
              if a.get("line", {}).get("width")]  # fmt: skip
    assert widths and all(b == pytest.approx(a * PRESENT_LINE_SCALE) for a, b in widths)
    assert "height" not in shown["layout"]  # the chart's div (the server's height) sizes it


@pytest.mark.parametrize("count", [1, 2, 4])
def test_a_narrow_chart_stacks_every_panel_in_one_column(count):
    models = [feature_scene(m=m) for m in (1, 2, 3, 4)[:count]]
    if count == 1:
        figure = training.single_figure(region_scene(), models[0], 5.0)
    else:
        figure = training.compare_figure([region_scene()] * count, models, 5.0)
    narrow = figure["layout"]["meta"]["narrow"]
    panels = 2 * count
    assert narrow["below"] == training.NARROW_BELOW and narrow["height"] > figure["layout"]["height"]
    layout = go.Figure(figure).layout
    for name, part in narrow["layout"].items():
        layout[name].update(part)  # as live_chart.js does
    x = [layout[f"xaxis{i if i > 1 else ''}"].domain for i in range(1, panels + 1)]
    y = sorted(layout[f"yaxis{i if i > 1 else ''}"].domain for i in range(1, panels + 1))
    assert all(domain == (0, 1) for domain in x)  # each the chart's full width
    assert all(low[1] < high[0] for low, high in itertools.pairwise(y))  # one above the other, no overlap
    assert all(layout[f"xaxis{i if i > 1 else ''}"].showticklabels for i in range(1, panels + 1))


def test_a_narrow_history_chart_stacks_its_panels_with_the_legend_below():
    history = {"step": [0, 10], **{key: [[1.0, 2.0], [0.5, 1.0]] for key, *_ in training.HISTORY_SERIES}}
    figure = training.history_figure(history, ["m = 1", "m = 4"])
    layout = go.Figure(figure).layout
    for name, part in figure["layout"]["meta"]["narrow"]["layout"].items():
        layout[name].update(part)
    y = [layout[name].domain for name in ("yaxis3", "yaxis2", "yaxis")]  # lambda at the bottom, loss on top
    assert all(low[1] < high[0] for low, high in itertools.pairwise(y))
    assert all(layout[name].domain == (0, 1) for name in ("xaxis", "xaxis2", "xaxis3"))
    assert layout.legend.orientation == "h" and layout.legend.yref == "container" and layout.legend.y == 0
    assert layout.legend.yanchor == "bottom"  # in the chart's bottom margin, under the panels
    assert layout.legend.title.side == "top"  # the entries get the whole width (a phone cut the last)
    assert [layout[name].title.text for name in ("xaxis", "xaxis2", "xaxis3")] == ["", "", "step"]


def test_the_history_legend_sits_under_the_panels_in_its_own_margin():
    """At the panels' side, long model names squeezed the three panels to 80 px each at 1024 px."""
    history = {"step": [0, 10], **{key: [[1.0, 2.0], [0.5, 1.0]] for key, *_ in training.HISTORY_SERIES}}
    layout = training.history_figure(history, ["softmax", "ArcFace m=28.6° s=2"])["layout"]
    assert layout["legend"]["orientation"] == "h" and layout["legend"]["yref"] == "container"
    assert layout["margin"]["b"] >= 45 + training.HISTORY_LEGEND_PX
    assert max(domain[1] for domain in (layout[f"xaxis{s}"]["domain"] for s in ("", "2", "3"))) == 1.0
