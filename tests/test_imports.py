"""Imports flow one way (style.md rule 2): app -> lab -> lsoftmax. The library never imports
the lab, streamlit or plotly; the lab never imports streamlit or plotly; numpy modules never
import torch. Checked in fresh interpreters and statically."""

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import lab
import lsoftmax

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "lsoftmax"
LAB = ROOT / "lab"
SUBMODULES = sorted(f"lsoftmax.{info.name}" for info in pkgutil.iter_modules(lsoftmax.__path__))
LAB_MODULES = sorted(f"lab.{info.name}" for info in pkgutil.iter_modules(lab.__path__))
NUMPY_ONLY = [
    "lsoftmax.geometry",
    "lsoftmax.margin",
    "lsoftmax.margins",
    "lab.datasets",
    "lab.settings",
    "lab.angles",
    "lab.user_data",
    "lab.explain",
]
FRONT_END = ("streamlit", "plotly")


def loaded_after_import(module: str) -> set[str]:
    """Top-level package names in sys.modules after importing module(s) in a fresh interpreter."""
    code = f"import json, sys, {module}; print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_submodules_were_found():
    assert set(NUMPY_ONLY) <= set(SUBMODULES) | set(LAB_MODULES)
    assert {"lab.train", "lab.models", "lab.settings", "lab.user_data"} <= set(LAB_MODULES)
    assert {"lsoftmax.functional", "lsoftmax.layers", "lsoftmax.schedule"} <= set(SUBMODULES)


def test_library_never_loads_the_front_end_or_the_lab():
    loaded = loaded_after_import(", ".join(["lsoftmax", *SUBMODULES]))  # one interpreter: torch loads once
    assert not loaded & {*FRONT_END, "lab", "app"}, (
        f"importing the library loads {sorted(loaded & {*FRONT_END, 'lab'})}"
    )


def test_lab_never_loads_the_front_end():
    loaded = loaded_after_import(", ".join(["lab", *LAB_MODULES]))
    assert not loaded & {*FRONT_END, "app"}, f"importing the lab loads {sorted(loaded & {*FRONT_END, 'app'})}"


@pytest.mark.parametrize("module", NUMPY_ONLY)
def test_numpy_modules_never_load_torch(module):
    assert "torch" not in loaded_after_import(module)


def test_public_names_still_load_torch_on_use():
    code = (
        "import sys, lsoftmax; assert 'torch' not in sys.modules; "
        "lsoftmax.lsoftmax_logits; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every import statement in a source file (also inside functions)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", sorted(LIBRARY.rglob("*.py")), ids=lambda path: path.name)
def test_no_library_file_imports_the_front_end_or_the_lab(path):
    assert not imported_roots(path) & {*FRONT_END, "lab", "app"}


@pytest.mark.parametrize("path", sorted(LAB.rglob("*.py")), ids=lambda path: f"lab/{path.name}")
def test_no_lab_file_imports_the_front_end(path):
    assert not imported_roots(path) & {*FRONT_END, "app"}
