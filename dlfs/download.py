"""Files that are never half-written: atomic writes and verified downloads.

`atomic_file` writes into a temporary file beside the destination and
renames it into place only when the block succeeds; on any failure
(including Ctrl-C) the temporary file is deleted. `fetch` streams a URL
through it, checking the length and the SHA-256 before the rename.
`dlfs.datasets` downloads MNIST with it; `dlfs.idx.write_idx` and
`dlfs.train.History.save` write through `atomic_file`.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class ChecksumError(ValueError):
    """A file's SHA-256 differs from the expected one."""


class DownloadError(OSError):
    """A download failed (HTTP error, lost connection, short body)."""


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside `path`; rename it to `path` only if the block succeeds.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = pathlib.Path(tmp) / "out.txt"
    ...     try:
    ...         with atomic_file(target, "w") as f:
    ...             _ = f.write("half")
    ...             raise RuntimeError("interrupted")
    ...     except RuntimeError:
    ...         pass
    ...     print(sorted(p.name for p in pathlib.Path(tmp).iterdir()))
    []
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, mode) as f:
            yield f
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; data files are for everyone to read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def checksum_error(path: str | os.PathLike[str], expected: str, actual: str) -> ChecksumError:
    """The error for a digest mismatch, naming the file and both digests."""
    return ChecksumError(f"{path}: SHA-256 mismatch: expected {expected}, got {actual}")


def fetch(url: str, dest: str | os.PathLike[str], *, sha256: str | None, timeout: float = 30.0) -> Path:
    """Download `url` to `dest` atomically, checking its length and SHA-256.

    On any failure (HTTP error, timeout, lost connection, short body, wrong
    digest, KeyboardInterrupt) nothing is left at `dest` and the error is
    raised. ``sha256=None`` skips the digest check (the length is still checked).
    """
    dest = Path(dest)
    with atomic_file(dest) as out:
        digest, size = hashlib.sha256(), 0
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                declared = response.headers.get("Content-Length")
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
        except urllib.error.HTTPError as exc:
            exc.close()  # an unclosed HTTPError leaks its socket
            raise DownloadError(f"downloading {url} to {dest} failed: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f"downloading {url} to {dest} failed: {exc!r}") from exc
        # read() does not complain about a body shorter than its Content-Length
        if declared is not None and size != int(declared):
            raise DownloadError(f"downloading {url} to {dest}: got {size} of {declared} bytes")
        if sha256 is not None and digest.hexdigest() != sha256:
            raise checksum_error(dest, sha256, digest.hexdigest())
    return dest
