"""/train with any member of the margin family (AppTest): each member trains, compare mode trains
members in lockstep (checked against lab.train.Trainer directly), the controls, the names of the
models, and the scale warning with its one-click fix."""

import math

import numpy as np
import pytest

from app import training_session as session
from lab.settings import SAFE_SCALES, TrainSettings
from lab.train import Trainer
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace
from tests.app.test_train_page import click, start, step_count, views

FAMILY = "softmax,lsoftmax:4,cosface:0.35:2,arcface:28.65:2"


def status(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Training on"))


def scale_warnings(at) -> list[str]:
    return [warning.value for warning in at.warning if "known not to converge" in warning.value]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "member", "name", "widget"),
    [
        ({"member": "sphereface", "m": "3"}, SphereFace(m=3), "A-Softmax m=3", ("slider", "ts_m", 3)),
        ({"member": "cosface", "cosface_m": "0.2"}, CosFace(m=0.2, s=2.0), "CosFace m=0.2 s=2",
         ("number_input", "ts_cosface_m", 0.2)),
        ({"member": "arcface", "arcface_m_deg": "20"}, ArcFace(m=math.radians(20), s=2.0), "ArcFace m=20° s=2",
         ("number_input", "ts_arcface_m_deg", 20.0)),
        ({"member": "combined", "combined_m1": "1.2"}, CombinedMargin(m1=1.2, m2=math.radians(17.19), m3=0.2, s=2.0),
         "combined margin (1.2, 17.2°, 0.2) s=2", ("number_input", "ts_combined_m1", 1.2)),
    ],
)  # fmt: skip
def test_each_member_trains_a_few_steps_and_is_named_by_its_parameters(query, member, name, widget):
    at = click(start(**query), "train_step")
    kind, key, value = widget
    assert getattr(at, kind)(key=key).value == pytest.approx(value)
    assert at.selectbox(key="ts_member").value == query["member"]
    run = at.session_state[session.RUN_KEY]
    assert run.trainer.margins == (member,) and step_count(at) == 10
    assert f"{name}: test acc" in status(at)
    assert list(at.table[0].value["model"]) == [name]
    titles = [annotation["text"] for annotation in views(at)["figure"]["layout"]["annotations"]]
    assert f"feature space, {name}" in titles
    assert not at.warning


def test_the_decision_regions_of_a_normalised_member_follow_the_argmax_of_cos():
    """The drawn regions are the plain rule of the member: argmax_j cos(theta_j), whatever the norms of W_j."""
    at = click(start(member="arcface"), "train_step")
    snapshot = at.session_state[session.RUN_KEY].snapshot
    trainer = at.session_state[session.RUN_KEY].trainer
    mesh = np.stack(np.meshgrid(snapshot.grid_x, snapshot.grid_y), axis=-1).reshape(-1, 2)
    import torch

    features = trainer.network.features_eval(torch.from_numpy(mesh))[0].numpy().astype(np.float64)  # (R*R, 2)
    weights = snapshot.weights[0].astype(np.float64)
    cosines = (features / np.linalg.norm(features, axis=1, keepdims=True)) @ (
        weights / np.linalg.norm(weights, axis=1, keepdims=True)
    ).T
    expected = cosines.argmax(axis=1).reshape(snapshot.grid_class[0].shape)
    assert np.mean(expected == snapshot.grid_class[0]) > 0.999  # float32 ties on the boundary aside


def test_compare_mode_trains_members_in_lockstep_like_the_trainer_itself():
    at = click(start(compare=FAMILY), "train_step")
    names = ["softmax", "L-Softmax m=4", "CosFace m=0.35 s=2", "ArcFace m=28.6° s=2"]
    assert list(at.table[0].value["model"]) == names
    assert at.multiselect(key="ts_compare").value == FAMILY.split(",")
    assert at.slider(key="ts_m").disabled and at.selectbox(key="ts_member").disabled
    shown = at.session_state[session.RUN_KEY].snapshot
    members = (LSoftmax(m=1), LSoftmax(m=4), CosFace(m=0.35, s=2.0), ArcFace(m=math.radians(28.65), s=2.0))
    direct = Trainer(TrainSettings(), device="cpu", margins=members)
    direct.train(10)
    expected = direct.snapshot(at.session_state[session.RUN_KEY].grid_resolution)
    assert shown.margins == members
    np.testing.assert_array_equal(shown.features, expected.features)
    np.testing.assert_array_equal(shown.weights, expected.weights)
    np.testing.assert_array_equal(shown.test_acc, expected.test_acc)
    assert all(f"{name}: test acc" in status(at) for name in names)


def test_the_compare_buttons_fill_the_list_and_a_change_restarts():
    at = start(member="cosface", cosface_m="0.3", scale="4")
    click(at, "train_add_compare")
    assert at.multiselect(key="ts_compare").value == ["cosface:0.3:4"]
    click(at, "train_compare_family")
    assert at.multiselect(key="ts_compare").value == ["softmax", "lsoftmax:4", "cosface:0.3:4", "arcface:28.65:4"]
    assert at.query_params["compare"] == "softmax,lsoftmax:4,cosface:0.3:4,arcface:28.65:4"
    assert len(at.session_state[session.RUN_KEY].trainer.margins) == 4
    at.multiselect(key="ts_compare").set_value(["softmax", "arcface:28.65:4"]).run()
    assert [margin.name for margin in at.session_state[session.RUN_KEY].trainer.margins] == ["LSoftmax", "ArcFace"]


def test_the_compare_menu_offers_every_member_as_set_under_loss():
    at = start(compare="softmax", scale="3")
    menu = at.multiselect(key="ts_compare").options
    for label in ("L-Softmax m=8", "A-Softmax m=2", "CosFace m=0.35 s=3", "ArcFace m=28.6° s=3", "softmax"):
        assert label in menu, menu
    at.multiselect(key="ts_compare").select("sphereface:2").run()
    assert at.session_state[session.RUN_KEY].trainer.margins == (LSoftmax(m=1), SphereFace(m=2))


def test_bad_compare_entries_in_a_link_are_named_and_the_good_ones_trained():
    at = start(compare="softmax,bogus,arcface:x:2,cosface")
    warnings = [warning.value for warning in at.warning]
    assert any("Ignored compare entry 'bogus'" in text for text in warnings)
    assert any("arcface" in text and "expected a number" in text for text in warnings)
    assert at.multiselect(key="ts_compare").value == ["softmax", "cosface:0.35:2"]


def test_a_large_scale_warns_with_the_reason_and_the_fix_button_applies_the_safe_scale():
    at = start(member="arcface", scale="64")
    (warning,) = scale_warnings(at)
    assert warning.startswith("ArcFace m=28.6° s=64: known not to converge reliably on 2-D features")
    assert "s·cos θ" in warning and f"s ≤ {SAFE_SCALES['arcface']:g}" in warning
    click(at, "train_use_safe_scale")
    assert at.number_input(key="ts_scale").value == SAFE_SCALES["arcface"]
    assert at.session_state[session.RUN_KEY].trainer.margins == (ArcFace(m=math.radians(28.65), s=2.0),)
    assert scale_warnings(at) == []


@pytest.mark.parametrize(
    "query", [{"member": "arcface", "scale": "2"}, {"member": "cosface", "scale": "8"}, {"member": "lsoftmax"}]
)
def test_no_scale_warning_for_a_small_scale_or_l_softmax(query):
    assert scale_warnings(start(**query)) == []


def test_the_fix_rewrites_every_compared_entry_with_too_large_a_scale():
    at = start(compare="softmax,cosface:0.35:64,arcface:28.65:30")
    (warning,) = scale_warnings(at)
    assert warning.startswith("CosFace m=0.35 s=64, ArcFace m=28.6° s=30:")
    click(at, "train_use_safe_scale")
    assert at.multiselect(key="ts_compare").value == ["softmax", "cosface:0.35:2", "arcface:28.65:2"]
    assert scale_warnings(at) == []


def test_a_scale_below_what_the_widget_offers_is_clamped_with_a_notice():
    at = start(member="cosface", scale="0.01")
    assert any(warning.value.startswith("scale=0.01 is outside what this page offers") for warning in at.warning)
    assert at.number_input(key="ts_scale").value == 0.1
    assert at.session_state[session.RUN_KEY].trainer.margins == (CosFace(m=0.35, s=0.1),)


def test_the_feature_panel_arcs_are_each_members_own_criterion():
    """The grey margins drawn for a member are the library's feasible arcs for that member (norms of W ignored)."""
    from types import SimpleNamespace

    from lsoftmax.geometry import feasible_arcs

    weights = np.array([[[1.0, 0.2], [-0.5, 1.0], [-0.4, -1.2]]] * 3, dtype=np.float32)
    weights[:, 0] *= 3.0  # one long class vector: L-Softmax's arcs depend on it, the normalised members' do not
    members = (LSoftmax(m=2), ArcFace(m=0.5, s=2.0), CosFace(m=0.35, s=2.0))
    run = session.Run(settings=None, data_id="", trainer=None)
    arcs = session.refresh_arcs(run, SimpleNamespace(weights=weights, margins=members), max_updates=3)
    for g, member in enumerate(members):
        assert arcs[g].arcs == feasible_arcs(weights[g].astype(np.float64), member)
    unit = weights[1] / np.linalg.norm(weights[1], axis=1, keepdims=True)
    flat = [
        bound for arc_list in feasible_arcs(unit.astype(np.float64), members[1]) for arc in arc_list for bound in arc
    ]
    assert [bound for arc_list in arcs[1].arcs for arc in arc_list for bound in arc] == pytest.approx(flat, abs=1e-6)
    assert arcs[0].arcs != feasible_arcs((weights[0] / np.linalg.norm(weights[0], axis=1, keepdims=True)), 2)
