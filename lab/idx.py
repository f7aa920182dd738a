"""IDX files (the format MNIST ships in) and the MNIST folder: read, check, fetch into a cache.

An IDX file is: two zero bytes, a type code, the number of dimensions n, then n big-endian
uint32 sizes, then the values in big-endian C order. Files may be gzip-compressed.
numpy only (no torch), so it loads fast and is easy to test on files the tests write.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_IDX_BYTES = 200 * 1024 * 1024  # MNIST's largest file is 47 MB uncompressed
GZIP_MAGIC = b"\x1f\x8b"
# The four MNIST files and the MD5 of their .gz form, as published with the dataset.
MNIST_FILES = {
    "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873", (60000, 28, 28)),
    "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432", (60000,)),
    "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3", (10000, 28, 28)),
    "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c", (10000,)),
}
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # LSOFTMAX_MNIST_MIRROR replaces it
FETCH_TIMEOUT_SECONDS = 20


class DataUnavailable(ValueError):
    """The data cannot be loaded; the message says why and what to do."""


def cache_root() -> Path:
    """Where the lab keeps downloads and finished runs: $LSOFTMAX_CACHE or ~/.cache/lsoftmax-lab."""
    return Path(os.environ.get("LSOFTMAX_CACHE") or Path.home() / ".cache" / "lsoftmax-lab")


def _raw_bytes(path: Path) -> bytes:
    with open(path, "rb") as handle:
        head = handle.read(2)
    opener = gzip.open if head == GZIP_MAGIC else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError) as error:
        raise ValueError(f"{path.name}: not a readable (gzip) file: {error}") from None
    if len(data) > MAX_IDX_BYTES:
        raise ValueError(f"{path.name}: larger than {MAX_IDX_BYTES // 2**20} MB, not an IDX file this lab reads")
    return data


def read_idx(path) -> np.ndarray:
    """The array stored in an IDX file (plain or .gz), in native byte order. ValueError naming
    the file and the problem for anything that is not a well-formed IDX file."""
    path = Path(path)
    data = _raw_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path.name}: not an IDX file (it must start with two zero bytes)")
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_TYPES:
        raise ValueError(f"{path.name}: unknown IDX type code 0x{type_code:02X}")
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path.name}: header too short for {ndim} dimensions")
    shape = tuple(int(size) for size in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[type_code])
    expected = 4 + 4 * ndim + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{path.name}: header says shape {shape} ({expected} bytes), file has {len(data)} bytes")
    values = np.frombuffer(data, dtype, offset=4 + 4 * ndim).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def write_idx(path, array, compress: bool = False) -> Path:
    """Write an array as an IDX file (used by tests and to build small fixtures)."""
    array = np.asarray(array)
    codes = {np.dtype(kind).newbyteorder("="): code for code, kind in IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim == 0:
        raise ValueError(f"array must be a non-scalar of an IDX type, got {array.dtype} with shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    body = array.astype(np.dtype(IDX_TYPES[code])).tobytes()
    path = Path(path)
    with (gzip.open if compress else open)(path, "wb") as handle:
        handle.write(header + body)
    return path


def md5_of(path) -> str:
    """Hex MD5 of a file (the checksum MNIST publishes)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Mnist:
    """MNIST as uint8 images (N, 28, 28) and int64 labels (N,), with where it came from."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str  # the folder the files were read from


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


def _fetch(stem: str, checksum: str, folder: Path, mirror: str) -> Path:
    """Download stem.gz from the mirror into folder, keep it only if its MD5 matches."""
    folder.mkdir(parents=True, exist_ok=True)
    target, partial = folder / f"{stem}.gz", folder / f"{stem}.gz.part"
    try:
        url = mirror + f"{stem}.gz"
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response, open(partial, "wb") as handle:
            shutil.copyfileobj(response, handle)
    except OSError as error:  # URLError, timeouts and refused connections are all OSErrors
        partial.unlink(missing_ok=True)
        raise DataUnavailable(
            f"MNIST is not in {folder} and could not be downloaded from {mirror} ({error}). "
            f"Put the four IDX files ({', '.join(spec[0] + '.gz' for spec in MNIST_FILES.values())}) "
            "in a folder and pass it, or use the bundled 8x8 digits."
        ) from None
    if md5_of(partial) != checksum:
        partial.unlink(missing_ok=True)
        raise DataUnavailable(f"{stem}.gz from {mirror} failed its MD5 check; nothing was kept")
    partial.replace(target)
    return target


def _check_file(path: Path, key: str, checksum: str, shape: tuple | None) -> np.ndarray:
    """The array in path; a .gz must match its published MD5 (plain files are checked by shape)."""
    if path.suffix == ".gz" and md5_of(path) != checksum:
        raise DataUnavailable(f"{path}: its MD5 is not {checksum}; the file is damaged or another dataset")
    try:
        values = read_idx(path)
    except ValueError as error:
        raise DataUnavailable(str(error)) from None
    if shape is not None and values.shape != shape:
        raise DataUnavailable(f"{path.name}: shape {values.shape}, MNIST's {key} has {shape}")
    return values


def load_mnist(folder=None, download: bool = True, mirror: str | None = None, checksums: dict | None = None) -> Mnist:
    """MNIST from `folder` (the four IDX files, plain or .gz), else from the cache, else
    downloaded into the cache when download is True and the machine is online (MD5-checked).

    checksums: {key: md5} to replace MNIST's (tests use small files of their own); with
    replacements the MNIST shapes are not enforced. DataUnavailable says what is missing.
    """
    mirror = mirror or os.environ.get("LSOFTMAX_MNIST_MIRROR") or MNIST_MIRROR
    cache = cache_root() / "mnist"
    folders = [Path(folder)] if folder else []
    folders.append(cache)
    official = checksums is None
    arrays = {}
    for key, (stem, checksum, shape) in MNIST_FILES.items():
        checksum = checksum if official else checksums[key]
        path = next((found for place in folders if (found := _find(place, stem))), None)
        if path is None:
            if not download:
                raise DataUnavailable(
                    f"{stem}(.gz) is in none of {', '.join(str(place) for place in folders)}; "
                    "put the four MNIST IDX files there or allow the download"
                )
            path = _fetch(stem, checksum, cache, mirror)
        arrays[key] = _check_file(path, key, checksum, shape if official else None)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.shape != (len(images),):
            raise DataUnavailable(f"{split}: {images.shape} images do not match {labels.shape} labels")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise DataUnavailable(f"{split} labels must be digits 0..9, got {labels.min()}..{labels.max()}")
    return Mnist(
        arrays["train_images"].astype(np.uint8),
        arrays["train_labels"].astype(np.int64),
        arrays["test_images"].astype(np.uint8),
        arrays["test_labels"].astype(np.int64),
        source=str(path.parent),
    )
