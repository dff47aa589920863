"""Tests for dlfs.idx: IDX round trips and every malformed-file error."""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dlfs.idx import IDXFormatError, read_idx, write_idx


def idx_bytes(shape: tuple[int, ...], payload: bytes, code: int = 0x08) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


@pytest.mark.parametrize("filename", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_round_trip(tmp_path: Path, filename: str) -> None:
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / filename
    write_idx(path, x)
    raw = path.read_bytes()
    assert raw[:2] == (b"\x1f\x8b" if filename.endswith(".gz") else b"\0\0")
    y = read_idx(raw, name=filename)
    np.testing.assert_array_equal(y, x)
    assert y.dtype == np.uint8 and y.flags.writeable
    assert [p.name for p in tmp_path.iterdir()] == [filename]  # no temp file left


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)), st.booleans())
def test_round_trip_any_shape(x: np.ndarray, compress: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("a.gz" if compress else "a")
        write_idx(path, x)
        np.testing.assert_array_equal(read_idx(path.read_bytes(), name="a"), x)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_give_an_array_or_idx_format_error(data: bytes) -> None:
    try:
        read_idx(data, name="fuzz")
    except IDXFormatError as exc:
        assert str(exc).startswith("fuzz: ")


def test_gzip_output_is_reproducible(tmp_path: Path) -> None:
    x = np.ones(10, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", x)
    write_idx(tmp_path / "b.gz", x)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()


def test_overwrite_replaces_file(tmp_path: Path) -> None:
    path = tmp_path / "labels"
    write_idx(path, np.zeros(3, dtype=np.uint8))
    write_idx(path, np.full(2, 7, dtype=np.uint8))
    np.testing.assert_array_equal(read_idx(path.read_bytes(), name="labels"), [7, 7])
    assert len(list(tmp_path.iterdir())) == 1


def test_idx_format_error_is_value_error() -> None:
    assert issubclass(IDXFormatError, ValueError)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", r"not an IDX file: 0 bytes"),
        (b"\0\0\x08", r"not an IDX file: 3 bytes"),
        (b"\x01\x02\x08\x01" + bytes(5), r"bad magic number 0x01020801"),
        (idx_bytes((2,), bytes(8), code=0x0D), r"IDX type code 0x0d \(float32\) is not supported, only 0x08"),
        (idx_bytes((2,), bytes(2), code=0x42), r"IDX type code 0x42 \(unknown\)"),
        (b"\0\0\x08\0", r"the header declares 0 dimensions, expected at least 1"),
        (b"\0\0\x08\x03" + bytes(6), r"truncated header: 3 dimensions need 16 header bytes, got 10"),
        (idx_bytes((2, 3), bytes(5)), r"truncated data: shape \(2, 3\) needs 6 bytes .* got 5"),
        (idx_bytes((2, 3), bytes(9)), r"3 trailing bytes: shape \(2, 3\) needs 6 bytes .* got 9"),
    ],
)
def test_malformed_idx(data: bytes, match: str) -> None:
    with pytest.raises(IDXFormatError, match=r"^train-images-idx3-ubyte: " + match):
        read_idx(data, name="train-images-idx3-ubyte")


def test_truncated_gzip() -> None:
    data = gzip.compress(idx_bytes((100,), bytes(range(100))))
    with pytest.raises(IDXFormatError, match=r"^t10k\.gz: truncated gzip stream"):
        read_idx(data[: len(data) // 2], name="t10k.gz")


def test_corrupt_gzip() -> None:
    data = bytearray(gzip.compress(idx_bytes((100,), bytes(range(100)))))
    data[-8] ^= 0xFF  # the CRC-32 of the content no longer matches
    with pytest.raises(IDXFormatError, match=r"^t10k\.gz: corrupt gzip stream"):
        read_idx(bytes(data), name="t10k.gz")


def test_write_refuses_other_dtypes(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"array must have dtype uint8, got float64"):
        write_idx(tmp_path / "x", np.zeros(3))
    with pytest.raises(ValueError, match=r"array must have 1 to 255 dimensions, got 0"):
        write_idx(tmp_path / "x", np.uint8(3))
    assert list(tmp_path.iterdir()) == []


def test_a_header_claiming_more_than_the_gzip_stream_can_hold_is_refused_before_allocating() -> None:
    import tracemalloc

    claim = idx_bytes((2**31, 2**20), bytes(1000))  # 2 PB declared, 1 kB of data
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match=r"declares shape \(2147483648, 1048576\), .* holds at most"):
            read_idx(gzip.compress(claim), name="bomb.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # refused on the header, nothing of its size allocated


def test_a_gzip_bomb_is_never_decompressed_past_the_declared_size() -> None:
    import tracemalloc

    # an honest-looking header for 10 values, followed by 50 MB of zeros that compress to ~50 kB
    bomb = gzip.compress(idx_bytes((10,), bytes(50_000_000)))
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match=r"bomb.gz: at least 1 trailing byte"):
            read_idx(bomb, name="bomb.gz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # only a few bytes past the declared 10 were ever inflated


def test_gzip_with_several_members_is_read_whole() -> None:
    data = idx_bytes((4,), bytes([1, 2, 3, 4]))
    two_members = gzip.compress(data[:6]) + gzip.compress(data[6:])
    np.testing.assert_array_equal(read_idx(two_members, name="two.gz"), [1, 2, 3, 4])
