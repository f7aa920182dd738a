"""lab.idx: the IDX reader on files written byte by byte here, and the MNIST folder, cache and fetch
on tiny stand-in files (checksums computed here with hashlib)."""

import gzip
import hashlib
import struct

import numpy as np
import pytest

from lab.idx import MNIST_FILES, DataUnavailable, load_mnist, read_idx, write_idx


def idx_bytes(type_code: int, shape: tuple, body: bytes) -> bytes:
    """An IDX file spelled out: magic, type, ndim, big-endian sizes, body."""
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + body


def test_reads_unsigned_bytes_in_c_order(tmp_path):
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(idx_bytes(0x08, (2, 3, 4), bytes(range(24))))
    assert np.array_equal(read_idx(path), np.arange(24).reshape(2, 3, 4))


def test_reads_big_endian_integers_and_floats(tmp_path):
    ints, floats = tmp_path / "ints", tmp_path / "floats"
    ints.write_bytes(idx_bytes(0x0C, (3,), struct.pack(">iii", -1, 2, 70000)))
    floats.write_bytes(idx_bytes(0x0E, (2,), struct.pack(">dd", 0.5, -3.25)))
    assert read_idx(ints).tolist() == [-1, 2, 70000]
    assert read_idx(floats).tolist() == [0.5, -3.25]


def test_reads_gzip_files(tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x08, (5,), bytes([7, 0, 9, 1, 3]))))
    assert read_idx(path).tolist() == [7, 0, 9, 1, 3]


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_write_then_read_round_trips(tmp_path, dtype, compress):
    array = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a", array, compress)), array)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "two zero bytes"),
        (b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00", "type code 0x07"),
        (b"\x00\x00\x08\x02" + struct.pack(">I", 1), "header too short"),
        (idx_bytes(0x08, (2, 2), bytes(3)), "file has 15 bytes"),
        (idx_bytes(0x08, (2,), bytes(5)), r"\(10 bytes\), file has 13 bytes"),
        (b"\x1f\x8bnot gzip at all", "not a readable"),
    ],
)
def test_bad_files_raise_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as error:
        read_idx(path)
    assert "broken-idx" in str(error.value)


def tiny_mnist(folder, compress=True) -> dict:
    """Four small IDX files under MNIST's names; returns their MD5s as load_mnist's checksums."""
    rng = np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train_labels": np.array([0, 1, 2, 3, 4, 9], np.uint8),
        "test_images": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "test_labels": np.array([5, 6, 7], np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for key, array in arrays.items():
        stem = MNIST_FILES[key][0]
        path = write_idx(folder / (stem + (".gz" if compress else "")), array, compress)
        sums[key] = hashlib.md5(path.read_bytes()).hexdigest()
    return sums


def test_loads_a_local_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    sums = tiny_mnist(tmp_path / "mnist")
    mnist = load_mnist(tmp_path / "mnist", download=False, checksums=sums)
    assert mnist.train_images.shape == (6, 28, 28) and mnist.train_labels.tolist() == [0, 1, 2, 3, 4, 9]
    assert mnist.test_labels.dtype == np.int64 and mnist.test_labels.tolist() == [5, 6, 7]


def test_a_damaged_gzip_fails_its_checksum(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    sums = tiny_mnist(tmp_path / "mnist")
    sums["test_labels"] = "0" * 32
    with pytest.raises(DataUnavailable, match="MD5"):
        load_mnist(tmp_path / "mnist", download=False, checksums=sums)


def test_plain_files_with_the_wrong_shape_are_not_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    tiny_mnist(tmp_path / "mnist", compress=False)
    with pytest.raises(DataUnavailable, match=r"shape \(6, 28, 28\), MNIST's train_images has \(60000, 28, 28\)"):
        load_mnist(tmp_path / "mnist", download=False)


def test_missing_files_without_download_say_where_they_were_looked_for(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataUnavailable, match="train-images-idx3-ubyte") as error:
        load_mnist(tmp_path / "empty", download=False)
    assert str(tmp_path / "empty") in str(error.value)


def test_fetches_into_the_cache_and_checks_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    sums = tiny_mnist(tmp_path / "mirror")
    mnist = load_mnist(download=True, mirror=(tmp_path / "mirror").as_uri() + "/", checksums=sums)
    assert mnist.train_labels.tolist() == [0, 1, 2, 3, 4, 9]
    assert sorted(path.name for path in (tmp_path / "cache" / "mnist").iterdir()) == sorted(
        spec[0] + ".gz" for spec in MNIST_FILES.values()
    )
    for path in (tmp_path / "cache" / "mnist").iterdir():  # a bad download is not kept
        path.unlink()
    sums["train_images"] = "f" * 32
    with pytest.raises(DataUnavailable, match="failed its MD5 check"):
        load_mnist(download=True, mirror=(tmp_path / "mirror").as_uri() + "/", checksums=sums)
    assert not (tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz").exists()


def test_offline_fetch_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("LSOFTMAX_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataUnavailable, match="could not be downloaded.*bundled 8x8 digits"):
        load_mnist(download=True, mirror="http://127.0.0.1:9/")
