"""Tests of lab.user_data.parse_points_csv: good files parse to what they say, and every
kind of bad file raises ValueError with a message that names the problem (and the line)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from lab.user_data import MAX_BYTES, MAX_ROWS, MAX_UPLOAD_MB, class_names, parse_points_csv

GOOD = "x,y,label\n0.5,1.0,0\n-1,2,1\n3,-4.5,0\n1e-3,0,1\n2,2,0\n\n5,5,1\n"


def test_parses_points_and_labels():
    points, labels = parse_points_csv(GOOD)
    np.testing.assert_array_equal(
        points, np.array([[0.5, 1], [-1, 2], [3, -4.5], [1e-3, 0], [2, 2], [5, 5]], np.float32)
    )
    np.testing.assert_array_equal(labels, [0, 1, 0, 1, 0, 1])
    assert points.dtype == np.float32 and labels.dtype == np.int64


def test_header_is_optional_and_bytes_with_bom_work():
    without_header = GOOD.split("\n", 1)[1]
    with_bom = b"\xef\xbb\xbf" + GOOD.encode()
    for data in (without_header, with_bom):
        points, labels = parse_points_csv(data)
        assert points.shape == (6, 2) and labels.tolist() == [0, 1, 0, 1, 0, 1]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["10", "9", "10", "9", "10", "9"], [1, 0, 1, 0, 1, 0]),  # integers sort numerically
        (["dog", "cat", "dog", "cat", "dog", "cat"], [1, 0, 1, 0, 1, 0]),  # text sorts as text
        (["-1", "1", "-1", "1", "-1", "1"], [0, 1, 0, 1, 0, 1]),
        (["1", "1.0", "2", "2.00", "1e0", "2"], [0, 0, 1, 1, 0, 1]),  # one number, one class
        (["0.5", "1.5", "0.50", "1.5", "0.5", "1.5"], [0, 1, 0, 1, 0, 1]),
        (["x", "1", "1.0"] * 3, [2, 0, 1] * 3),  # not all numbers: text, as written
    ],
)
def test_labels_are_numbered_in_sorted_order(labels, expected):
    text = "".join(f"{i},{i},{label}\n" for i, label in enumerate(labels))
    assert parse_points_csv(text)[1].tolist() == expected


def _rows(count, classes=2):
    return "".join(f"{i % 7},{i % 5},{i % classes}\n" for i in range(count))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("x,y,label\n1,2,0\n1,abc,1\n", "Line 3: y must be a number"),
        ("1,2,0\n3,4\n", "Line 2: expected 3 comma-separated values"),
        ("1,2,0\n3,4,1,5\n", "Line 2: expected 3"),
        ("1,2,0\nnan,4,1\n", "Line 2: x must be finite"),
        ("1,2,0\n1,inf,1\n", "Line 2: y must be finite"),
        ("1,2,0\n1e9,2,1\n", "Line 2: x = 1e+09 is too large"),
        ("1,2,0\n1,2,\n", "Line 2: the label is empty"),
        ("x,y,label\n", "no data rows"),
        ("", "no data rows"),
        (_rows(9, classes=1), "The data has 1 class \\(0\\)"),
        (_rows(60, classes=11), "11 classes"),
        ("0,0,0\n1,1,0\n2,2,0\n3,3,1\n4,4,1\n", "Class 1 has fewer than 3 points"),
        ("0,0,0\n1,1,0\n2,2,0\n3,3,1\n4,4,2\n", "Classes 1, 2 have fewer than 3 points"),
        (_rows(MAX_ROWS + 1), f"at most {MAX_ROWS}"),
        ("1,2,0\n" * (MAX_BYTES // 6 + 1), f"at most {MAX_UPLOAD_MB} MB"),
        (b"1,2,0\n\xff\xfe,1,1\n", "not UTF-8"),
    ],
)
def test_bad_files_raise_a_clear_message(data, message):
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        parse_points_csv(data)


def test_the_byte_limit_is_the_upload_limit_in_streamlits_megabytes():
    assert MAX_BYTES == MAX_UPLOAD_MB * 1024 * 1024
    parse_points_csv(("1,2,0\n2,3,1\n" * 10).ljust(MAX_BYTES - 1, "\n"))  # just under: accepted
    with pytest.raises(ValueError, match=f"at most {MAX_UPLOAD_MB} MB"):
        parse_points_csv("1,2,0\n" + "\n" * MAX_BYTES)


def test_long_labels_are_quoted_short():
    labels = [f"{j}" + "L" * 4000 for j in range(11)]
    text = "".join(f"{i},{i},{labels[i % 11]}\n" for i in range(33))
    with pytest.raises(ValueError, match="11 classes") as error:
        parse_points_csv(text)
    assert len(str(error.value)) < 400, len(str(error.value))


def test_rejects_other_types():
    with pytest.raises(ValueError, match="data must be bytes or str"):
        parse_points_csv(12)


def test_numpy_only_modules_load_neither_torch_nor_the_front_end():
    """The page parses URLs and CSVs and draws angle tables before (or without) loading torch."""
    code = (
        "import sys, lab.user_data, lab.settings, lab.angles; "
        "print(sorted({'torch', 'streamlit', 'plotly'} & {name.split('.')[0] for name in sys.modules}))"
    )
    root = pathlib.Path(__file__).parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_class_names_follow_the_class_order():
    assert class_names("x,y,label\n0,0,dog\n1,1,cat\n2,2,bird\n3,3,cat\n") == ["bird", "cat", "dog"]
    assert class_names("0,0,10\n1,1,9\n2,2,10\n") == ["9", "10"]  # integers sort as numbers
