"""The browser's geometry (app/live_chart/geometry.js, scenes.js) against the library: psi, every
margin-family member's target, the feasible arcs and the two-class boundaries on hundreds of
random configurations for every member, the members built from a page's controls, and the
plane's coordinates (a second member drawn over the first included) against
app.figures.geometry's. The JavaScript runs in Chromium, loaded as the same ES module the live
chart uses; lsoftmax is the reference."""

import json
import math

import numpy as np
import pytest

from app.explorer_controls import (
    BINARY_M,
    MEMBER,
    MULTICLASS_M,
    NO_OVERLAY,
    binary_title,
    chosen_members,
    member_choices,
    member_constants,
    multiclass_title,
    overlay_choices,
)
from app.figures.geometry import plane_figure
from app.figures.labels import Label, place_labels
from app.figures.scenes import binary_view, multiclass_scene, plane_constants
from app.live_chart import HERE, PURE_JS
from app.live_chart.encoding import decode_typed_array, default
from app.live_chart.theme import figure_dict
from lsoftmax.geometry import binary_boundaries, feasible_arcs, weights_from_polar
from lsoftmax.margin import psi
from lsoftmax.margins import MEMBERS, ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

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


def random_member(rng):
    """One member of the family with random parameters, as the browser takes it: {name, ...params}."""
    kind = int(rng.integers(0, 5))
    if kind < 2:
        member = (LSoftmax, SphereFace)[kind](int(rng.integers(1, 9)))
    elif kind == 2:
        member = CosFace(float(rng.uniform(0, 1.2)))
    elif kind == 3:
        member = ArcFace(float(rng.uniform(0, 2.0)))
    else:
        member = CombinedMargin(float(rng.uniform(1, 3)), float(rng.uniform(0, 1.5)), float(rng.uniform(0, 1)))
    return {"name": member.name, **member.params()}


def library_member(spec: dict):
    return MEMBERS[spec["name"]](**{key: value for key, value in spec.items() if key != "name"})


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


def test_every_members_target_matches_the_library(geometry_page):
    rng = np.random.default_rng(2)
    members = [random_member(rng) for _ in range(200)]
    members += [
        {"name": "ArcFace", "m": 0.5, "s": 64.0},
        {"name": "CombinedMargin", "m1": 2.0, "m2": 0.3, "m3": 0.2, "s": 1.0},
    ]
    theta = np.concatenate([rng.uniform(0, math.pi, 60), [0.0, math.pi, math.pi - 0.5]])
    mine = geometry_page.evaluate(
        "([members, theta]) => members.map((member) => theta.map((t) => G.memberTarget(member, t)))",
        [members, theta.tolist()],
    )
    for spec, values in zip(members, mine, strict=True):
        np.testing.assert_allclose(values, library_member(spec).target(theta), atol=1e-9, err_msg=str(spec))


def test_feasible_arcs_of_every_member_match_the_library(geometry_page):
    rng = np.random.default_rng(11)
    configurations = random_configurations(400, seed=13)
    for configuration in configurations:
        configuration["m"] = random_member(rng)
    mine = geometry_page.evaluate(
        """(cases) => cases.map(({ angles, norms, m }) =>
             G.feasibleArcs(angles.map((angle, j) => ({ angle, norm: norms[j] })), m))""",
        configurations,
    )
    failures = []
    for configuration, arcs in zip(configurations, mine, strict=True):
        weights = weights_from_polar(configuration["angles"], configuration["norms"])
        reference = feasible_arcs(weights, library_member(configuration["m"]))
        if not all(arcs_close(a, r) for a, r in zip(arcs, reference, strict=True)):
            failures.append((configuration, arcs, reference))
    assert not failures, f"{len(failures)} of {len(configurations)} differ; first: {failures[0]}"
    kinds = {configuration["m"]["name"] for configuration in configurations}
    assert kinds == set(MEMBERS)
    assert sum(len(class_arcs) for arcs in mine for class_arcs in arcs) > 500  # not all empty


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


def test_binary_boundaries_of_every_member_match_the_library(geometry_page):
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
    cases += [[*case[:3], random_member(rng)] for case in cases[:400]]  # every member, the same wedges
    mine = geometry_page.evaluate("(cases) => cases.map((args) => G.binaryBoundaries(...args))", cases)
    for args, result in zip(cases, mine, strict=True):
        margin = library_member(args[3]) if isinstance(args[3], dict) else args[3]
        reference = binary_boundaries(*args[:3], margin)
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
  const plain = (values) => values && Array.from(values, (v) => (v === null ? NaN : v));
  return { data: data.map((t) => ({ meta: t.meta, name: t.name, x: plain(t.x),
                                    y: plain(t.y) })),
           notes: notes.map((n) => [n.x, n.y, n.text]), title: scene.title };
}"""


def page_members(kind: str, values: dict) -> tuple:
    """(member, overlay, labels) as the page builds them from these control values."""
    integer_m = BINARY_M if kind == "binary" else MULTICLASS_M
    return chosen_members(member_choices(integer_m), overlay_choices(integer_m), values)


def server_figure(kind: str, values: dict) -> tuple[dict, str]:
    """plane_figure for these control values, as the JSON the live chart receives, and its title."""
    member, overlay, labels = page_members(kind, values)
    if kind == "binary":
        norm2 = values["n1"] if values["lock"] else values["n2"]
        scene = binary_view(
            values["n1"], norm2, values["t12"], member, values["xa"], values["xn"], overlay=overlay, labels=labels
        ).scene
        title = binary_title(labels, values["n1"], norm2, member)
    else:
        scene, _ = multiclass_scene(values["angles"], values["norms"], member, overlay, labels)
        title = multiclass_title(len(values["angles"]), labels)
    return json.loads(json.dumps(figure_dict(plane_figure(scene, title)), default=default)), title


BINARY = {"m": 4, "t12": 90, "n1": 2.0, "n2": 2.0, "lock": True, "xa": 30, "xn": 3.0, "field": "off"}
EVEN_TEN = [0, 36, 72, 108, 144, 180, 216, 252, 288, 324]
MEMBER_VALUES = {"cm": 0.35, "am": 28.6, "m1": 1.2, "m2": 17.2, "m3": 0.1, "vm": 2, "vcm": 0.3, "vam": 40.0,
                 "vm1": 1.0, "vm2": 20.0, "vm3": 0.2}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("binary", BINARY),
        ("binary", {"m": 3, "t12": 37, "n1": 3.0, "n2": 1.5, "lock": False, "xa": -20, "xn": 1.0, "field": "off"}),
        ("binary", {"m": 2, "t12": 170, "n1": 0.5, "n2": 4.0, "lock": False, "xa": 100, "xn": 2.0, "field": "off"}),
        ("binary", {**BINARY, **MEMBER_VALUES, "loss": "ArcFace", "vs": "L-Softmax"}),
        ("binary", {**BINARY, **MEMBER_VALUES, "loss": "CosFace", "vs": "combined", "t12": 60, "lock": False,
                    "n1": 3.0}),
        ("binary", {**BINARY, **MEMBER_VALUES, "loss": "A-Softmax", "vs": "ArcFace", "lock": False, "n2": 1.0}),
        ("binary", {**BINARY, **MEMBER_VALUES, "loss": "combined", "vs": "A-Softmax", "t12": 150}),
        ("multiclass", {"m": 3, "angles": [0, 90, 180, 270], "norms": [2.0, 2.0, 2.0, 2.0]}),
        ("multiclass", {"m": 5, "angles": EVEN_TEN, "norms": [1.0, 2, 2, 2, 2, 2, 2, 2, 2, 2]}),
        ("multiclass", {"m": 3, **MEMBER_VALUES, "loss": "ArcFace", "vs": "CosFace", "angles": [0, 50, 180],
                        "norms": [1.0, 3.0, 2.0]}),
        ("multiclass", {"m": 3, **MEMBER_VALUES, "loss": "L-Softmax", "vs": "ArcFace", "angles": EVEN_TEN[:6],
                        "norms": [1.0, 3.0, 2.0, 2, 2, 2]}),
    ],
)  # fmt: skip
def test_the_browser_redraws_the_plane_the_server_draws(geometry_page, kind, values):
    values = {"loss": MEMBER.default, "vs": NO_OVERLAY, **values}  # as binary_live and multiclass_live send them
    expected_figure, title = server_figure(kind, values)
    # The browser starts from another state's figure (as during a drag) and must reach this one.
    other = {**values, "m": 1, "t12": 20, "n1": 1.0, "n2": 4.0, "lock": False, "cm": 0.0, "am": 0.0} if kind == (
        "binary") else {**values, "m": 1, "norms": [3.0] * len(values["angles"])}  # fmt: skip
    integer_m = BINARY_M if kind == "binary" else MULTICLASS_M
    constants = plane_constants() | member_constants(integer_m)
    result = geometry_page.evaluate(PLANE_JS, [kind, values, constants, server_figure(kind, other)[0]])
    assert result["title"] == title
    expected = trace_points(expected_figure)
    mine = trace_points({"data": result["data"]})
    assert expected.keys() == mine.keys()
    assert ("overlay_edges" in mine) == (values.get("vs", "none") != "none")
    for role in expected:
        for (ex, ey), (mx, my) in zip(expected[role], mine[role], strict=True):
            assert ex.shape == mx.shape, (role, ex.shape, mx.shape)
            np.testing.assert_allclose(mx, ex, atol=2e-5, err_msg=role)  # float32 on the wire
            np.testing.assert_allclose(my, ey, atol=2e-5, err_msg=role)
    assert [trace.get("name") for trace in expected_figure["data"]] == [trace.get("name") for trace in result["data"]]
    notes = [[note["x"], note["y"], note["text"]] for note in expected_figure["layout"]["annotations"]]
    assert [note[2] for note in result["notes"]] == [note[2] for note in notes]
    np.testing.assert_allclose([n[:2] for n in result["notes"]], [n[:2] for n in notes], atol=1e-9)


def test_the_browser_builds_the_member_the_page_builds(geometry_page):
    rng = np.random.default_rng(4)
    cases = []
    for integer_m, prefix, picker in [(BINARY_M, "", "loss"), (MULTICLASS_M, "v", "vs")]:
        choices = member_choices(integer_m) if not prefix else overlay_choices(integer_m)
        for key, choice in choices.items():
            values = {picker: key}
            for field in choice.fields:
                low, high = field.param.low, field.param.high
                whole = isinstance(field.param.default, int)
                value = int(rng.integers(low, high + 1)) if whole else round(float(rng.uniform(low, high)), 2)
                values[field.param.key] = value
            margin = choice.margin(values)
            cases.append(
                [values, member_constants(integer_m), picker, margin.name, margin.params(), choice.describe(values)]
            )
    mine = geometry_page.evaluate(
        """(cases) => cases.map(([values, constants, picker]) =>
             G.memberOf(values, picker === "loss" ? constants.members : constants.overlays, picker))""",
        cases,
    )
    for (_, _, _, name, params, label), result in zip(cases, mine, strict=True):
        assert result["label"] == label
        assert result["member"]["name"] == name
        for field, value in result["member"].items():
            if field != "name":
                assert value == pytest.approx(params[field], abs=1e-12), (name, field)
    assert {case[3] for case in cases} == set(MEMBERS)


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
