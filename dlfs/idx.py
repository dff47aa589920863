"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

Chapter "Training on MNIST" (``docs/training.md``) loads its data through
:mod:`dlfs.datasets`, which parses each file with :func:`read_idx`. An IDX file is big-endian: two zero
bytes, a type code (``0x08`` = unsigned byte, the only one these data sets use),
the number of dimensions, one ``uint32`` size per dimension, then the values.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> from dlfs.idx import read_idx, write_idx
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = pathlib.Path(tmp) / "tiny-labels-idx1-ubyte.gz"
...     write_idx(path, np.array([5, 0, 4], dtype=np.uint8))
...     read_idx(path.read_bytes(), name=path.name)
array([5, 0, 4], dtype=uint8)
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from dlfs.download import atomic_file

__all__ = ["IDXFormatError", "read_idx", "write_idx"]

_UBYTE = 0x08
# Type codes of the IDX spec, named so that a refusal says what the file holds.
_TYPE_NAMES = {0x08: "uint8", 0x09: "int8", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64"}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """An IDX file (or its gzip wrapper) is malformed; the message names the file."""


# Deflate compresses at most about 1032:1, so a gzip stream of n bytes cannot
# hold more than this many times n: a header that claims more is a lie.
MAX_GZIP_RATIO = 1032


class _Gunzip:
    """Decompress a gzip stream a piece at a time, never more than asked for."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name, self.out = name, bytearray()
        self._inflater, self._pending = zlib.decompressobj(16 + zlib.MAX_WBITS), data
        self.complete = False  # the stream's end marker was reached

    def fill(self, size: int) -> bytearray:
        """Decompress until ``len(self.out) >= size`` or the stream ends; return the output."""
        try:
            while len(self.out) < size and not self.complete:
                chunk = self._inflater.decompress(self._pending, size - len(self.out))
                self.out += chunk
                self._pending = self._inflater.unconsumed_tail
                if self._inflater.eof:
                    rest = self._inflater.unused_data
                    if rest[:2] == _GZIP_MAGIC:  # another gzip member follows
                        self._inflater, self._pending = zlib.decompressobj(16 + zlib.MAX_WBITS), rest
                    else:
                        self.complete = True
                elif not chunk and not self._pending:
                    raise IDXFormatError(f"{self.name}: truncated gzip stream (it stops before its end marker)")
        except zlib.error as exc:
            raise IDXFormatError(f"{self.name}: corrupt gzip stream ({exc})") from exc
        return self.out


def read_idx(data: bytes, *, name: str) -> np.ndarray:
    """Parse the bytes of an IDX file, gzip-compressed or not.

    Parameters
    ----------
    data : bytes
        The file's content. Gzip data (it starts with ``1f 8b``; IDX starts
        with ``00 00``) is decompressed first, a piece at a time: a header
        that claims more values than the file can hold is refused before
        anything is allocated for them, and nothing beyond the declared
        values is ever decompressed.
    name : str
        The file's name or path, used in error messages.

    Returns
    -------
    ndarray of dtype uint8 and the shape the header declares
        A new, writable array.

    Raises
    ------
    IDXFormatError
        Bad magic number, a type other than uint8, a truncated header, a
        payload shorter or longer than the declared shape needs, or a shape
        the file is too small to hold.

    Examples
    --------
    >>> from dlfs.idx import read_idx
    >>> read_idx(bytes([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 7, 9]), name="a.idx")
    array([[7, 9]], dtype=uint8)
    >>> read_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7]), name="b.idx")
    Traceback (most recent call last):
    ...
    dlfs.idx.IDXFormatError: b.idx: truncated data: shape (3,) needs 3 bytes after the 8-byte header, got 1
    """
    gz = _Gunzip(data, name) if data[:2] == _GZIP_MAGIC else None
    head = gz.fill(4) if gz else data
    if len(head) < 4:
        raise IDXFormatError(f"{name}: not an IDX file: {len(head)} bytes, fewer than the 4-byte magic number")
    zeros, code, ndim = head[:2], head[2], head[3]
    if zeros != b"\0\0":
        magic = int.from_bytes(head[:4], "big")
        raise IDXFormatError(f"{name}: bad magic number 0x{magic:08x}: an IDX file starts with two zero bytes")
    if code != _UBYTE:
        kind = _TYPE_NAMES.get(code, "unknown")
        raise IDXFormatError(f"{name}: IDX type code 0x{code:02x} ({kind}) is not supported, only 0x08 (uint8)")
    if ndim == 0:
        raise IDXFormatError(f"{name}: the header declares 0 dimensions, expected at least 1")
    header = 4 + 4 * ndim
    head = gz.fill(header) if gz else data
    if len(head) < header:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimensions need {header} header bytes, got {len(head)}"
        )
    shape = struct.unpack(f">{ndim}I", head[4:header])
    expected = math.prod(shape)  # Python ints: no overflow
    if gz and header + expected > MAX_GZIP_RATIO * len(data):
        raise IDXFormatError(
            f"{name}: the header declares shape {shape}, {expected:,} bytes, but a gzip stream of "
            f"{len(data):,} bytes holds at most {MAX_GZIP_RATIO * len(data):,}"
        )
    payload: bytes | bytearray = data
    if gz:
        payload = gz.fill(header + expected + 1)  # one byte more, to notice trailing data
    actual = len(payload) - header
    if actual < expected:
        raise IDXFormatError(
            f"{name}: truncated data: shape {shape} needs {expected} bytes after the "
            f"{header}-byte header, got {actual}"
        )
    if actual > expected:
        more = "at least 1 trailing byte" if gz else f"{actual - expected} trailing bytes"
        raise IDXFormatError(
            f"{name}: {more}: shape {shape} needs {expected} bytes after the {header}-byte header, "
            f"got {'more' if gz else actual}"
        )
    if gz and not gz.complete:  # all the values are there: the stream must end here
        if len(gz.fill(header + expected + 1)) > header + expected:
            raise IDXFormatError(f"{name}: at least 1 trailing byte after the {expected} bytes shape {shape} needs")
        if not gz.complete:
            raise IDXFormatError(f"{name}: truncated gzip stream (it stops before its end marker)")
    # copy: frombuffer over bytes is read-only and would pin the whole buffer
    return np.frombuffer(payload, dtype=np.uint8, count=expected, offset=header).reshape(shape).copy()


def write_idx(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file, atomically.

    The file is gzip-compressed when ``path`` ends in ``.gz`` (with a zero
    timestamp, so equal arrays give equal bytes). It is written to a temporary
    file in the same folder and then renamed, so a reader never sees half a file.

    Parameters
    ----------
    path : str or PathLike
        Destination; its folder must exist.
    array : ndarray of dtype uint8, 1 to 255 dimensions

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from dlfs.idx import write_idx
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "x.idx"
    ...     write_idx(path, np.zeros((2, 3), dtype=np.uint8))
    ...     path.read_bytes().hex(" ")
    '00 00 08 02 00 00 00 02 00 00 00 03 00 00 00 00 00 00'
    """
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise TypeError(f"array must have dtype uint8, got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array must have 1 to 255 dimensions, got {array.ndim}")
    if max(array.shape) >= 2**32:
        raise ValueError(f"array dimensions must be below 2**32, got shape {array.shape}")
    path = Path(path)
    header = bytes([0, 0, _UBYTE, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array).tobytes()
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    with atomic_file(path) as out:
        out.write(data)
