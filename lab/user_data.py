"""The user's own 2-D points: a CSV of x, y, label, parsed and validated, numpy only.

Format: one point per line, three comma-separated fields x, y, label; an optional header
line (any first line whose x or y is not a number); blank lines are skipped. Labels may be
numbers or text: the distinct labels are sorted (numerically when all are numbers, as text
otherwise) and numbered 0..K-1 in that order, so "1, 2" become classes 0, 1, "1" and "1.0" are
one class, and "cat, dog" become 0, 1. Every problem raises ValueError with the line number and
what was wrong; a label or field quoted in a message is cut to a few dozen characters.
"""

from __future__ import annotations

import math

import numpy as np

MAX_UPLOAD_MB = 1  # the one upload limit: the page's uploader and the server's maxUploadSize read it too
MAX_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # a megabyte as Streamlit counts it
MAX_ROWS = 5000
MIN_CLASSES, MAX_CLASSES = 2, 10
MIN_PER_CLASS = 3
LABEL_QUOTE = 24  # characters of a label repeated in an error message
MAX_COORDINATE = 1e6  # larger values would only overflow the float32 network


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        size = len(data.encode("utf-8"))
    elif isinstance(data, (bytes, bytearray)):
        size = len(data)
    else:
        raise ValueError(f"data must be bytes or str, got {type(data).__name__}")
    if size > MAX_BYTES:
        raise ValueError(f"The file is {size / 2**20:.1f} MB; at most {MAX_UPLOAD_MB} MB is accepted.")
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"The file is not UTF-8 text (byte {error.start} cannot be decoded).") from None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def _split(line: str, number: int) -> list[str]:
    fields = [field.strip() for field in line.split(",")]
    if len(fields) != 3:
        raise ValueError(
            f"Line {number}: expected 3 comma-separated values x, y, label; got {len(fields)}: {line[:60]!r}"
        )
    if not fields[2]:
        raise ValueError(f"Line {number}: the label is empty.")
    return fields


def _coordinate(text: str, name: str, number: int) -> float:
    value = _number(text)
    if value is None:
        raise ValueError(f"Line {number}: {name} must be a number, got {text[:30]!r}.")
    if not math.isfinite(value):
        raise ValueError(f"Line {number}: {name} must be finite, got {text[:30]!r}.")
    if abs(value) > MAX_COORDINATE:
        raise ValueError(f"Line {number}: {name} = {value:g} is too large (at most {MAX_COORDINATE:g} in size).")
    return value


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank line, the header dropped."""
    rows = [(number, _split(line, number)) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if rows and (_number(rows[0][1][0]) is None or _number(rows[0][1][1]) is None):
        rows = rows[1:]  # a header
    if not rows:
        raise ValueError("The file has no data rows: expected lines of x, y, label.")
    if len(rows) > MAX_ROWS:
        raise ValueError(f"The file has {len(rows)} rows; at most {MAX_ROWS} are accepted.")
    return rows


def _quote(label: str | int | float) -> str:
    """A label for a message: numbers as they are, text quoted and cut to LABEL_QUOTE characters."""
    if not isinstance(label, str):
        return f"{label:g}" if isinstance(label, float) else str(label)
    return repr(label if len(label) <= LABEL_QUOTE else label[: LABEL_QUOTE - 1] + "…")


def _class_keys(labels: list[str]) -> tuple[list, list]:
    """Each label's sort key (a number when every label is one, "1" and "1.0" alike, else the text)
    and the distinct keys, sorted."""
    as_numbers = [_label_number(label) for label in labels]
    keys = as_numbers if all(value is not None for value in as_numbers) else labels
    return keys, sorted(set(keys))


def _class_numbers(labels: list[str]) -> np.ndarray:
    """Labels as 0..K-1, in sorted order of the distinct labels."""
    keys, distinct = _class_keys(labels)
    if not MIN_CLASSES <= len(distinct) <= MAX_CLASSES:
        noun = "class" if len(distinct) == 1 else "classes"
        shown = ", ".join(_quote(label) for label in distinct[:MAX_CLASSES])
        more = ", …" if len(distinct) > MAX_CLASSES else ""
        raise ValueError(
            f"The data has {len(distinct)} {noun} ({shown}{more}); between {MIN_CLASSES} and {MAX_CLASSES} are needed."
        )
    index = {key: number for number, key in enumerate(distinct)}
    classes = np.array([index[key] for key in keys], dtype=np.int64)
    counts = np.bincount(classes, minlength=len(distinct))
    if counts.min() < MIN_PER_CLASS:
        small = [_quote(distinct[j]) for j in np.flatnonzero(counts < MIN_PER_CLASS)]
        raise ValueError(
            f"{'Class' if len(small) == 1 else 'Classes'} {', '.join(small)} "
            f"{'has' if len(small) == 1 else 'have'} fewer than {MIN_PER_CLASS} points; "
            f"every class needs at least {MIN_PER_CLASS}."
        )
    return classes


def _label_number(text: str) -> int | float | None:
    """A label read as a number ("1" and "1.0" alike), or None when it is text."""
    value = _number(text)
    if value is None or not math.isfinite(value):
        return None
    return int(value) if value.is_integer() else value


def parse_points_csv(data: bytes | str) -> tuple[np.ndarray, np.ndarray]:
    """(X (N, 2) float32, y (N,) int64 in 0..K-1) from CSV text of x, y, label (see the module docstring)."""
    rows = _rows(_decode(data))
    points = np.array(
        [[_coordinate(fields[0], "x", number), _coordinate(fields[1], "y", number)] for number, fields in rows],
        dtype=np.float64,
    )
    labels = _class_numbers([fields[2] for _, fields in rows])
    return points.astype(np.float32), labels


def class_names(data: bytes | str) -> list[str]:
    """The distinct labels of a points CSV in class order: class j + 1 (0-based j) is names[j]."""
    _, distinct = _class_keys([fields[2] for _, fields in _rows(_decode(data))])
    return [str(key) for key in distinct]
