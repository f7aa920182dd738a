"""Whether the suite runs under CI (CI=true), where a missing tool fails the run instead of skipping."""

import os

import pytest


def running_in_ci() -> bool:
    """True when the CI variable says so (1, true, yes)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(message: str, *, module: bool = False) -> None:
    """Skip on a developer machine; under CI a missing tool is an error, never a hidden skip."""
    if running_in_ci():
        raise pytest.UsageError(f"CI=true and {message}")
    pytest.skip(message, allow_module_level=module)
