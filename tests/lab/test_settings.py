"""TrainSettings and the margin family: the member and its parameters (UI units), compare entries,
old L-Softmax links, model names, and the scale warning grounded in a real run."""

from __future__ import annotations

import dataclasses
import math

import pytest

from lab.settings import (
    MAX_COMPARE,
    SAFE_SCALES,
    TrainSettings,
    canonical_entry,
    entry_with_scale,
    margin_from_entry,
    model_name,
    scale_risks,
)
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

# Each member chosen by settings, and the same member built by hand (degrees -> radians here).
MEMBERS = [
    ({"member": "lsoftmax", "m": 3}, LSoftmax(m=3)),
    ({"member": "sphereface", "m": 2}, SphereFace(m=2)),
    ({"member": "cosface", "cosface_m": 0.2, "scale": 4.0}, CosFace(m=0.2, s=4.0)),
    ({"member": "arcface", "arcface_m_deg": 30.0, "scale": 1.5}, ArcFace(m=math.pi / 6, s=1.5)),
    (
        {"member": "combined", "combined_m1": 1.5, "combined_m2_deg": 45.0, "combined_m3": 0.1, "scale": 3.0},
        CombinedMargin(m1=1.5, m2=math.pi / 4, m3=0.1, s=3.0),
    ),
]


@pytest.mark.parametrize(("fields", "member"), MEMBERS)
def test_the_member_fields_choose_that_member_and_round_trip_through_the_url(fields, member):
    settings = TrainSettings(**fields)
    assert settings.margins == (settings.margin,)
    assert type(settings.margin) is type(member)
    for name, value in member.params().items():
        assert getattr(settings.margin, name) == pytest.approx(value, rel=1e-12)
    query = settings.to_query()
    assert query.get("member", "lsoftmax") == fields["member"]
    assert TrainSettings.from_query(query) == (settings, [])


def test_the_defaults_are_l_softmax_m4_and_an_empty_query():
    assert TrainSettings().margins == (LSoftmax(m=4),)
    assert TrainSettings().to_query() == {}


def test_compare_entries_build_members_in_ui_units_and_round_trip():
    entries = ("softmax", "lsoftmax:4", "sphereface:3", "cosface:0.35:30", "arcface:28.6:30", "combined:1:17.2:0.2:64")
    settings = TrainSettings(compare=entries)
    assert settings.margins == (
        LSoftmax(m=1), LSoftmax(m=4), SphereFace(m=3), CosFace(m=0.35, s=30.0), ArcFace(m=math.radians(28.6), s=30.0),
        CombinedMargin(m1=1.0, m2=math.radians(17.2), m3=0.2, s=64.0),
    )  # fmt: skip
    query = settings.to_query()
    assert query == {
        "compare": "softmax,lsoftmax:4,sphereface:3,cosface:0.35:30,arcface:28.6:30,combined:1:17.2:0.2:64"
    }
    assert TrainSettings.from_query(query) == (settings, [])
    assert TrainSettings.from_query({"compare": [query["compare"]]}) == (settings, [])  # a list value


@pytest.mark.parametrize(
    ("entry", "canonical"),
    [
        ("softmax", "softmax"), ("lsoftmax:1", "softmax"), (" LSoftmax : 2 ", "lsoftmax:2"),
        ("lsoftmax", "lsoftmax:4"), ("cosface", "cosface:0.35:2"), ("cosface:0.5", "cosface:0.5:2"),
        ("arcface:30.0:16.0", "arcface:30:16"), ("combined", "combined:1:17.19:0.2:2"),
    ],
)  # fmt: skip
def test_an_entry_has_one_spelling_with_left_out_values_at_their_defaults(entry, canonical):
    assert canonical_entry(entry) == canonical
    assert margin_from_entry(entry) == margin_from_entry(canonical)


def test_old_compare_ms_links_keep_their_meaning():
    settings, problems = TrainSettings.from_query({"m": "4", "compare_ms": "1,2,3,4"})
    assert problems == []
    assert settings.margins == (LSoftmax(m=1), LSoftmax(m=2), LSoftmax(m=3), LSoftmax(m=4))
    assert settings.to_query() == {"compare": "softmax,lsoftmax:2,lsoftmax:3,lsoftmax:4"}
    assert TrainSettings.from_query({"m": "3"})[0].margins == (LSoftmax(m=3),)
    assert TrainSettings.from_query({"compare_ms": "4,1"})[0].margins == (LSoftmax(m=4), LSoftmax(m=1))
    newer, _ = TrainSettings.from_query({"compare_ms": "1,2", "compare": "arcface"})
    assert newer.compare == ("arcface:28.65:2",)  # the new key wins
    for bad in ("1,1", "0,2", "a,b", "1,9"):
        settings, problems = TrainSettings.from_query({"compare_ms": bad})
        assert settings == TrainSettings()
        assert len(problems) == 1 and problems[0].startswith(f"Ignored compare_ms={bad!r}")


def test_bad_compare_entries_are_left_out_one_notice_each_and_the_good_ones_kept():
    raw = "softmax,bogus,arcface:95:2,cosface:x,lsoftmax:1,lsoftmax:2:3,arcface:10"
    settings, problems = TrainSettings.from_query({"compare": raw})
    assert settings.compare == ("softmax", "arcface:10:2")
    assert len(problems) == 5
    expected = [
        ("'bogus'", "softmax or one of lsoftmax, sphereface, cosface, arcface, combined"),
        ("'arcface:95:2'", "arcface's m (degrees) must lie in [0.0, 90.0]"),
        ("'cosface:x'", "cosface's m: expected a number"),
        ("'lsoftmax:1'", "already compared"),
        ("'lsoftmax:2:3'", "lsoftmax takes 1 value(s) at most"),
    ]
    for problem, (entry, reason) in zip(problems, expected, strict=True):
        assert problem.startswith(f"Ignored compare entry {entry}") and reason in problem, problem
    many = ",".join(f"lsoftmax:{m}" for m in range(1, 9)) + ",arcface"
    settings, problems = TrainSettings.from_query({"compare": many})
    assert len(settings.compare) == MAX_COMPARE and problems == [
        f"Ignored compare entry 'arcface': compare mode trains at most {MAX_COMPARE} models"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("member", "normface"), ("member", "ArcFace"), ("cosface_m", 1.5), ("cosface_m", -0.1),
        ("arcface_m_deg", 90.5), ("combined_m1", 0.5), ("combined_m2_deg", -1.0), ("combined_m3", 2.0),
        ("scale", 0.0), ("scale", 200.0), ("scale", float("nan")), ("compare", ("arcface:1:2:3",)),
        ("compare", ("softmax", "lsoftmax:1")), ("compare", tuple(f"cosface:0.{i}" for i in range(9))),
    ],
)  # fmt: skip
def test_bad_member_values_are_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        TrainSettings(**{field: value})


def test_bad_member_values_in_a_link_fall_back_with_a_notice_each():
    settings, problems = TrainSettings.from_query({"member": "normface", "scale": "0", "arcface_m_deg": "45"})
    assert settings == TrainSettings(arcface_m_deg=45.0)
    assert [problem.split(":")[0] for problem in problems] == ["Ignored member='normface'", "Ignored scale='0'"]


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ("softmax", "softmax"), ("lsoftmax:4", "L-Softmax m=4"), ("sphereface:4", "A-Softmax m=4"),
        ("cosface:0.35:30", "CosFace m=0.35 s=30"), ("arcface:28.65:64", "ArcFace m=28.6° s=64"),
        ("combined:1:17.19:0.2:64", "combined margin (1, 17.2°, 0.2) s=64"),
    ],
)  # fmt: skip
def test_models_are_named_by_member_and_parameters_in_ui_units(entry, name):
    assert model_name(margin_from_entry(entry)) == name


def test_scale_risks_flag_each_normalised_model_above_its_measured_safe_scale():
    assert scale_risks(TrainSettings()) == []
    assert scale_risks(TrainSettings(member="arcface", scale=64.0)) == [
        ("ArcFace m=28.6° s=64", SAFE_SCALES["arcface"])
    ]
    assert scale_risks(TrainSettings(member="arcface", scale=SAFE_SCALES["arcface"])) == []
    assert scale_risks(TrainSettings(member="cosface", scale=SAFE_SCALES["cosface"])) == []
    compare = TrainSettings(compare=("softmax", "lsoftmax:8", "cosface:0.35:64", "combined:1:17.19:0.2:2"))
    assert [name for name, _ in scale_risks(compare)] == ["CosFace m=0.35 s=64"]
    assert entry_with_scale("cosface:0.35:64", 2.0) == "cosface:0.35:2"
    assert entry_with_scale("lsoftmax:3", 2.0) == "lsoftmax:3"


def test_the_measurement_behind_the_warning_holds_for_arcface_on_the_default_spiral():
    """bench/family_scales.py, one seed: ArcFace converges from scratch at its safe s and stalls at s = 64."""
    from lab.train import Trainer

    settings = dataclasses.replace(
        TrainSettings(), lambda_kind="none", seed=0, compare=("arcface:28.65:2", "arcface:28.65:64")
    )
    trainer = Trainer(settings, device="cpu")
    trainer.train(1000)
    accuracy = trainer.snapshot(4).test_acc
    assert accuracy[0] >= 0.95 and accuracy[1] < 0.8, accuracy
