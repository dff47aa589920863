"""The book's own files for the benchmarks that run its code beside dlfs's.

``--book PATH`` (in `bench_training.py` and `bench_numerical.py`) names a
checkout or a git directory of oreilly-japan/deep-learning-from-scratch.
Nothing of the book is copied into dlfs: its ``ch05/`` and ``common/`` are
used where they are, or extracted from the git directory into a temporary
folder, and run in a child process started in ``ch05/``, as the book runs
its scripts.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def book_files(book: Path | None, tmp: Path) -> tuple[Path | None, dict]:
    """The root of the book's files (ch05/ and common/), or None and why not."""
    if book is None:
        return None, {"run": False, "reason": "no --book PATH given (a checkout or git directory of "
                                              "oreilly-japan/deep-learning-from-scratch)"}
    book = book.expanduser().resolve()
    source = {"path": str(book)}
    if not book.exists():
        return None, {"run": False, "reason": f"--book {book} was not found", "source": source}
    if (book / "ch05" / "two_layer_net.py").is_file():  # a work tree: use it as it is
        try:
            source["commit"] = git("-C", str(book), "rev-parse", "HEAD")
        except (OSError, subprocess.SubprocessError):
            source["commit"] = None
        return book, {"run": True, "source": source}
    try:  # a git directory: its HEAD's ch05/ and common/, into a temporary folder
        source["commit"] = git(f"--git-dir={book}", "rev-parse", "HEAD")
        archive = subprocess.run(["git", f"--git-dir={book}", "archive", "--format=tar", "HEAD", "ch05", "common"],
                                 capture_output=True, check=True, timeout=120).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return None, {"run": False, "reason": f"--book {book} is neither a checkout with ch05/two_layer_net.py "
                                              f"nor a git directory holding ch05/ and common/ ({exc})",
                      "source": source}
    (tmp / "book.tar").write_bytes(archive)
    with tarfile.open(tmp / "book.tar") as tar:
        tar.extractall(tmp / "book", filter="data")
    return tmp / "book", {"run": True, "source": source}
