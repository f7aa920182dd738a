"""The label placer: no two placed boxes overlap and none covers an obstacle, whenever a free
spot exists among the candidates; checked by brute force over every pair."""

import itertools

import numpy as np
import pytest

from app.figures.labels import Label, box_of, overlaps, place_labels, text_size


def placed_boxes(labels, spots):
    return [box_of(x, y, label.width, label.height) for label, (x, y) in zip(labels, spots, strict=True)]


def test_a_free_label_stays_at_its_anchor():
    assert place_labels([Label(1.0, 2.0, 1.0, 0.5)]) == [(1.0, 2.0)]


def test_a_second_label_on_the_same_anchor_moves_along_its_direction():
    first, second = Label(0.0, 0.0, 2.0, 1.0, (0.0, 1.0)), Label(0.0, 0.0, 2.0, 1.0, (0.0, 1.0))
    spots = place_labels([first, second])
    assert spots[0] == (0.0, 0.0)
    assert spots[1][0] == 0.0 and spots[1][1] >= 1.0  # moved up by at least its height
    assert not overlaps(*placed_boxes([first, second], spots))


def test_labels_avoid_obstacles():
    obstacle = box_of(0.0, 0.0, 1.0, 1.0)
    (spot,) = place_labels([Label(0.0, 0.0, 1.0, 1.0, (1.0, 0.0))], [obstacle])
    assert not overlaps(box_of(*spot, 1.0, 1.0), obstacle)
    assert spot == (0.0, 1.0)  # the nearest free candidate: two half-heights sideways at distance 0


@pytest.mark.parametrize("seed", range(20))
def test_random_crowds_never_overlap_when_there_is_room(seed):
    rng = np.random.default_rng(seed)
    labels = [Label(*rng.uniform(-1, 1, 2), 0.6, 0.3, tuple(rng.normal(size=2))) for _ in range(8)]
    spots = place_labels(labels)
    boxes = placed_boxes(labels, spots)
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not overlaps(a, b), (i, j, spots)


def test_boxes_touching_at_an_edge_do_not_overlap():
    assert not overlaps((0, 0, 1, 1), (1, 0, 2, 1))
    assert overlaps((0, 0, 1, 1), (0.999, 0.5, 2, 2))


def test_text_size_counts_visible_characters_only():
    assert text_size("θ<sub>12</sub> = 10°", 20, 1.0) == text_size("θ12 = 10°", 20, 1.0)
    width, height = text_size("W1", 20, 0.5)
    assert width == pytest.approx((0.62 * 20 * 2 + 6) * 0.5) and height == pytest.approx(1.35 * 20 * 0.5)


def test_bad_step_is_rejected():
    with pytest.raises(ValueError, match="step"):
        place_labels([Label(0, 0, 1, 1)], step=0)
