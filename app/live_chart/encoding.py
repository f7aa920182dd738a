"""Compact JSON for plotly figures: numpy arrays become plotly.js base64 typed arrays."""

from __future__ import annotations

import base64

import numpy as np

# numpy dtype -> plotly.js typed-array code (plotly.js decodes {dtype, bdata, shape} itself).
_CODES = {"int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2", "int32": "i4", "uint32": "u4", "float32": "f4"}


def typed_array(array: np.ndarray) -> dict:
    """A plotly.js typed-array spec; float64 becomes float32 and int64 becomes int32 (half the bytes)."""
    array = np.asarray(array)
    if array.dtype == np.float64 or array.dtype == np.float16:
        array = array.astype(np.float32)
    elif array.dtype == np.int64 or array.dtype == np.bool_:
        array = array.astype(np.int32 if array.dtype == np.int64 else np.uint8)
    code = _CODES.get(array.dtype.name)
    if code is None:
        raise ValueError(f"array must have a numeric dtype, got dtype {array.dtype}")
    little_endian = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"))
    spec = {"dtype": code, "bdata": base64.b64encode(little_endian.tobytes()).decode()}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(size) for size in array.shape)
    return spec


def default(value):
    """json.dumps hook: numpy arrays as typed arrays, numpy scalars as Python numbers."""
    if isinstance(value, np.ndarray):
        return typed_array(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"value of type {type(value).__name__} is not JSON serialisable")


def decode_typed_array(spec: dict) -> np.ndarray:
    """Inverse of typed_array (tests and benchmarks)."""
    dtype = {code: name for name, code in _CODES.items()}[spec["dtype"]]
    array = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(dtype).newbyteorder("<"))
    if "shape" in spec:
        array = array.reshape([int(size) for size in spec["shape"].split(",")])
    return array
