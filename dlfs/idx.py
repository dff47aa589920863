"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

Chapter "Training on MNIST" (``docs/training.md``) loads its data through
:mod:`dlfs.datasets`, which parses each file with :func:`read_idx`. An IDX file is big-endian: two zero
bytes, a type code (``0x08`` = unsigned byte, the only one these data sets use),
the number of dimensions, one ``uint32`` size per dimension, then the values.

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


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except EOFError as exc:  # the stream stops before gzip's end marker
        raise IDXFormatError(f"{name}: truncated gzip stream ({exc})") from exc
    except (OSError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise IDXFormatError(f"{name}: corrupt gzip stream ({exc})") from exc


def read_idx(data: bytes, *, name: str) -> np.ndarray:
    """Parse the bytes of an IDX file, gzip-compressed or not.

    Parameters
    ----------
    data : bytes
        The file's content. Gzip data (it starts with ``1f 8b``; IDX starts
        with ``00 00``) is decompressed first.
    name : str
        The file's name or path, used in error messages.

    Returns
    -------
    ndarray of dtype uint8 and the shape the header declares
        A new, writable array.

    Raises
    ------
    IDXFormatError
        Bad magic number, a type other than uint8, a truncated header, or a
        payload shorter or longer than the declared shape needs.

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
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, name)
    if len(data) < 4:
        raise IDXFormatError(f"{name}: not an IDX file: {len(data)} bytes, fewer than the 4-byte magic number")
    zeros, code, ndim = data[:2], data[2], data[3]
    if zeros != b"\0\0":
        magic = int.from_bytes(data[:4], "big")
        raise IDXFormatError(f"{name}: bad magic number 0x{magic:08x}: an IDX file starts with two zero bytes")
    if code != _UBYTE:
        kind = _TYPE_NAMES.get(code, "unknown")
        raise IDXFormatError(f"{name}: IDX type code 0x{code:02x} ({kind}) is not supported, only 0x08 (uint8)")
    if ndim == 0:
        raise IDXFormatError(f"{name}: the header declares 0 dimensions, expected at least 1")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimensions need {header} header bytes, got {len(data)}"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected, actual = math.prod(shape), len(data) - header  # Python ints: no overflow
    if actual < expected:
        raise IDXFormatError(
            f"{name}: truncated data: shape {shape} needs {expected} bytes after the "
            f"{header}-byte header, got {actual}"
        )
    if actual > expected:
        raise IDXFormatError(
            f"{name}: {actual - expected} trailing bytes: shape {shape} needs {expected} bytes "
            f"after the {header}-byte header, got {actual}"
        )
    # copy: frombuffer over bytes is read-only and would pin the whole buffer
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


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
