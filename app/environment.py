"""Settings read from the environment: a bad value falls back to the default with a logged warning.

A typo in a deployment's variables must not break every page load; it is logged once, at import.
"""

from __future__ import annotations

import logging
import os

LOGGER = logging.getLogger(__name__)


def int_setting(name: str, default: int, minimum: int = 1) -> int:
    """The integer in environment variable `name`; default (and a warning) when unset-but-bad or < minimum."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        LOGGER.warning("%s=%r is not a whole number; using %d", name, raw[:40], default)
        return default
    if value < minimum:
        LOGGER.warning("%s=%d is below %d; using %d", name, value, minimum, default)
        return default
    return value


def choice_setting(name: str, choices: tuple[str, ...], default: str = "") -> str:
    """The value of `name`, lower-cased, if it is one of choices; default (and a warning) otherwise."""
    raw = os.environ.get(name, "").strip().lower()
    if raw and raw not in choices:
        LOGGER.warning("%s=%r is not one of %s; ignored", name, raw[:40], ", ".join(choices))
        return default
    return raw or default
