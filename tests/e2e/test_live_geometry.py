"""The browser's geometry (app/live_chart/geometry.js, scenes.js) against the library: psi, the
feasible arcs and the two-class boundaries on hundreds of random configurations, and the plane's
coordinates against app.figures.geometry's. The JavaScript runs in Chromium, loaded as the same
ES module the live chart uses; lsoftmax.geometry is the reference."""

import json
import math

import numpy as np
import pytest

from app.figures.geometry import plane_figure
from app.figures.labels import Label, place_labels
from app.figures.scenes import binary_view, multiclass_scene, plane_constants
from app.live_chart import HERE, PURE_JS
from app.live_chart.encoding import decode_typed_array, default
from app.live_chart.theme import figure_dict
from lsoftmax.geometry import binary_boundaries, feasible_arcs, weights_from_polar
from lsoftmax.margin import psi

TOLERANCE = 1e-6  # radians
LOAD = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  window.G = await import(url);
  return Object.keys(window.G).length;
}"""


@pytest.fixture
def geometry_page(page):
    source = "\n".join((HERE / name).read_text() for name in PURE_JS)
    page.goto("about:blank")
    assert page.evaluate(LOAD, source) > 5
    return page


def random_configurations(count: int, seed: int = 7) -> list[dict]:
    """K = 2..10, m = 1..8, norms 0.1..5, random angles; every fifth has a coincident vector
    (same direction, own norm), every fifth one opposite to another, a few exact duplicates."""
    rng = np.random.default_rng(seed)
    configurations = []
    for index in range(count):
        k = int(rng.integers(2, 11))
        angles = rng.uniform(0, 2 * math.pi, k)
        norms = rng.uniform(0.1, 5.0, k)
        if index % 5 == 1:
            angles[1] = angles[0]
        if index % 5 == 2:
            angles[1] = angles[0] + math.pi
        if index % 25 == 3:
            angles[1], norms[1] = angles[0], norms[0]
        configurations.append({"angles": angles.tolist(), "norms": norms.tolist(), "m": int(rng.integers(1, 9))})
    return configurations


def arcs_close(mine, reference) -> bool:
    if len(mine) != len(reference):
        return False
    for (start, end), (ref_start, ref_end) in zip(mine, reference, strict=True):
        shift = round((ref_start - start) / (2 * math.pi)) * 2 * math.pi  # a start at 0 may read 2 pi
        if abs(start + shift - ref_start) > TOLERANCE or abs(end + shift - ref_end) > TOLERANCE:
            return False
    return True


def test_psi_by_the_chebyshev_recurrence_matches_eq_6(geometry_page):
    rng = np.random.default_rng(1)
    cases = [
        (float(theta), int(m)) for theta, m in zip(rng.uniform(0, math.pi, 2000), rng.integers(1, 9, 2000), strict=True)
    ]
    cases += [(k * math.pi / m, m) for m in range(1, 9) for k in range(m + 1)]  # the segment ends
    values = geometry_page.evaluate("(cases) => cases.map(([t, m]) => G.psi(t, m))", cases)
    expected = [psi(theta, m) for theta, m in cases]
    assert np.max(np.abs(np.array(values) - expected)) < 1e-9


def test_feasible_arcs_match_the_library_on_600_random_configurations(geometry_page):
    configurations = random_configurations(600)
    mine = geometry_page.evaluate(
        """(cases) => cases.map(({ angles, norms, m }) =>
             G.feasibleArcs(angles.map((angle, j) => ({ angle, norm: norms[j] })), m))""",
        configurations,
    )
    failures = []
    for configuration, arcs in zip(configurations, mine, strict=True):
        weights = weights_from_polar(configuration["angles"], configuration["norms"])
        reference = feasible_arcs(weights, configuration["m"])
        if not all(arcs_close(a, r) for a, r in zip(arcs, reference, strict=True)):
            failures.append((configuration, arcs, reference))
    assert not failures, f"{len(failures)} of {len(configurations)} differ; first: {failures[0]}"
    assert sum(len(class_arcs) for arcs in mine for class_arcs in arcs) > 1000  # not all empty


def test_binary_boundaries_match_the_library(geometry_page):
    rng = np.random.default_rng(3)
    cases = [
        [
            float(rng.uniform(0.1, 5)),
            float(rng.uniform(0.1, 5)),
            float(rng.uniform(1e-3, math.pi)),
            int(rng.integers(1, 9)),
        ]
        for _ in range(500)
    ]
    cases += [[2.0, 2.0, math.pi, m] for m in range(1, 9)] + [[1.0, 3.0, 0.01, 4], [3.0, 1.0, 0.01, 4]]
    mine = geometry_page.evaluate("(cases) => cases.map((args) => G.binaryBoundaries(...args))", cases)
    for args, result in zip(cases, mine, strict=True):
        reference = binary_boundaries(*args)
        for name in ("class1", "class2", "softmax", "margin"):
            expected, got = getattr(reference, name), result[name]
            assert (expected is None) == (got is None), (args, name, expected, got)
            if expected is not None:
                assert abs(expected - got) < TOLERANCE, (args, name, expected, got)


def trace_points(figure: dict) -> dict:
    """meta role -> list of (x, y) float arrays, from a figure dict (typed arrays decoded)."""

    def array(value):
        return decode_typed_array(value) if isinstance(value, dict) else np.asarray(value, dtype=np.float64)

    points = {}
    for trace in figure["data"]:
        if trace.get("meta") and "x" in trace:
            points.setdefault(trace["meta"], []).append((array(trace["x"]), array(trace["y"])))
    return points


PLANE_JS = """([kind, values, constants, figure]) => {
  const scene = kind === "binary" ? G.binaryScene(values, constants) : G.multiclassScene(values, constants);
  const data = G.planeData(figure.data, scene, constants);
  const notes = G.planeAnnotations(figure.layout.annotations, scene, constants);
  return { data: data.map((t) => ({ meta: t.meta, x: t.x && Array.from(t.x, (v) => (v === null ? NaN : v)),
                                    y: t.y && Array.from(t.y, (v) => (v === null ? NaN : v)) })),
           notes: notes.map((n) => [n.x, n.y, n.text]), title: scene.title };
}"""


def server_figure(kind: str, values: dict) -> dict:
    """plane_figure for these control values, as the JSON the live chart receives."""
    if kind == "binary":
        norm2 = values["n1"] if values["lock"] else values["n2"]
        scene = binary_view(values["n1"], norm2, values["t12"], values["m"], values["xa"], values["xn"]).scene
    else:
        scene, _ = multiclass_scene(values["angles"], values["norms"], values["m"])
    return json.loads(json.dumps(figure_dict(plane_figure(scene, "title")), default=default))


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("binary", {"m": 4, "t12": 90, "n1": 2.0, "n2": 2.0, "lock": True, "xa": 30, "xn": 3.0, "field": "off"}),
        ("binary", {"m": 3, "t12": 37, "n1": 3.0, "n2": 1.5, "lock": False, "xa": -20, "xn": 1.0, "field": "off"}),
        ("binary", {"m": 2, "t12": 170, "n1": 0.5, "n2": 4.0, "lock": False, "xa": 100, "xn": 2.0, "field": "off"}),
        ("multiclass", {"m": 3, "angles": [0, 90, 180, 270], "norms": [2.0, 2.0, 2.0, 2.0]}),
        ("multiclass", {"m": 5, "angles": [0, 36, 72, 108, 144, 180, 216, 252, 288, 324],
                        "norms": [1.0, 2, 2, 2, 2, 2, 2, 2, 2, 2]}),
    ],
)  # fmt: skip
def test_the_browser_redraws_the_plane_the_server_draws(geometry_page, kind, values):
    expected_figure = server_figure(kind, values)
    # The browser starts from another state's figure (as during a drag) and must reach this one.
    other = {**values, "m": 1, "t12": 20, "n1": 1.0, "n2": 4.0, "lock": False} if kind == "binary" else {
        **values, "m": 1, "norms": [3.0] * len(values["angles"])}  # fmt: skip
    result = geometry_page.evaluate(PLANE_JS, [kind, values, plane_constants(), server_figure(kind, other)])
    expected = trace_points(expected_figure)
    mine = trace_points({"data": result["data"]})
    assert expected.keys() == mine.keys()
    for role in expected:
        for (ex, ey), (mx, my) in zip(expected[role], mine[role], strict=True):
            assert ex.shape == mx.shape, (role, ex.shape, mx.shape)
            np.testing.assert_allclose(mx, ex, atol=2e-5, err_msg=role)  # float32 on the wire
            np.testing.assert_allclose(my, ey, atol=2e-5, err_msg=role)
    notes = [[note["x"], note["y"], note["text"]] for note in expected_figure["layout"]["annotations"]]
    assert [note[2] for note in result["notes"]] == [note[2] for note in notes]
    np.testing.assert_allclose([n[:2] for n in result["notes"]], [n[:2] for n in notes], atol=1e-9)


def random_labels(rng, count: int) -> tuple[list[Label], list[tuple]]:
    labels = [Label(*rng.uniform(-3, 3, 2), *rng.uniform(0.3, 2.0, 2), tuple(rng.normal(size=2))) for _ in range(count)]
    obstacles = [tuple(float(v) for v in (x, y, x + 0.4, y + 0.4)) for x, y in rng.uniform(-3, 3, (3, 2))]
    return labels, obstacles


def test_the_browser_places_labels_as_the_python_routine_does(geometry_page):
    rng = np.random.default_rng(5)
    cases = [random_labels(rng, int(rng.integers(1, 12))) for _ in range(200)]
    payload = [
        [[{"x": l.x, "y": l.y, "width": l.width, "height": l.height, "direction": list(l.direction)} for l in labels],
         [list(box) for box in obstacles]]
        for labels, obstacles in cases
    ]  # fmt: skip
    mine = geometry_page.evaluate(
        "(cases) => cases.map(([labels, obstacles]) => G.placeLabels(labels, obstacles))", payload
    )
    for (labels, obstacles), spots in zip(cases, mine, strict=True):
        np.testing.assert_allclose(spots, place_labels(labels, obstacles), atol=1e-12)
