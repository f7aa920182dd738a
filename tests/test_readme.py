"""The README's Python examples run as written, and print what their comments say."""

import ast
import contextlib
import io
import math
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def test_readme_has_a_python_example():
    assert BLOCKS


def test_readme_examples_run_and_print_what_they_promise():
    import torch

    printed, threads = io.StringIO(), torch.get_num_threads()
    torch.set_num_threads(1)  # the example's tiny matmuls crawl with thread hand-offs on busy shared cores
    try:
        with contextlib.redirect_stdout(printed):
            for block in BLOCKS:
                exec(compile(block, "README.md", "exec"), {})
    finally:
        torch.set_num_threads(threads)
    lines = printed.getvalue().splitlines()
    assert float(lines[0]) == pytest.approx(-3.292893, abs=1e-6)  # reference section 6
    assert float(lines[1]) == pytest.approx(math.radians(18))  # reference section 3
    # equal norms, 90 degrees apart, m = 2: each boundary 90/(m + 1) = 30 degrees from W2
    ((start, end),) = ast.literal_eval(lines[2])
    assert (start, end) == pytest.approx((math.pi / 3, 2 * math.pi / 3))
    assert float(lines[3]) == pytest.approx(math.degrees(0.5))  # margin-family.md: ArcFace's margin is m
    # the training example anneals within its run: lambda reaches its floor, and it learns
    words = lines[4].replace(",", "").split()
    assert words[:5] == ["lambda", "1", "after", "600", "steps"] and float(words[-1]) >= 0.9
