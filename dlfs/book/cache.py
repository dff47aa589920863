"""Compute each of the book's results once, and share it.

A function decorated with `cached` runs once per process for each set of
arguments. When the environment variable ``DLFS_BOOK_CACHE`` names a folder,
its results are also kept there, so that the processes of one site build
(the figures, the notebook's kernel) and of one test session compute each
result once, and a rebuild with unchanged code computes nothing.

A result on disk is found by a key made of everything it depends on: the
function's name and arguments, the source of every ``dlfs`` module that the
function's module imports (directly or through others), and the versions of
Python, NumPy and the machine. Editing one of those modules makes new keys
for exactly the results that depend on it. The data is pinned as well:
`dlfs.datasets.load_mnist` checks each MNIST file against the SHA-256 digests
written in ``dlfs/datasets.py``, which is part of every key that reads MNIST.

Results are stored as JSON (arrays as their raw bytes in base64, with dtype
and shape): plain data and a few named types of dlfs, never pickle. Every
result goes through that encoding, found on disk or not, so a caller sees
the same types either way. Two processes that want the same result at once
take turns on a file lock: the second one waits and reads.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import dataclasses
import functools
import hashlib
import inspect
import json
import os
import platform
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dlfs.download import atomic_file

F = TypeVar("F", bound=Callable[..., Any])
ENV = "DLFS_BOOK_CACHE"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # the dlfs/ folder


# ------------------------------------------------------------------ keys
def _module_path(name: str) -> Path | None:
    """The source file of module `name` inside dlfs, or None if it is not one."""
    if name != "dlfs" and not name.startswith("dlfs."):
        return None
    parts = name.split(".")[1:]
    base = PACKAGE_ROOT.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(name: str, path: Path) -> set[str]:
    """The dlfs modules that module `name` imports, with the packages that contain them."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..y import z
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)  # submodules
    closed: set[str] = set()
    for module in found:
        parts = module.split(".")
        closed.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))  # parents run too
    return {m for m in closed if _module_path(m) is not None}


# The book's machinery: part of every key (their source counts), but what they import
# lazily (the page registry, the types a result may hold) is not what a result is computed by.
_MACHINERY = ("dlfs.book", "dlfs.book.cache")


@functools.cache
def dependencies(module: str) -> tuple[str, ...]:
    """Every dlfs module that `module` needs, itself included, sorted.

    Imports are followed wherever they are written, inside functions too,
    except out of the book's machinery (`dlfs.book` and this module).

    Examples
    --------
    >>> deps = dependencies("dlfs.optim")
    >>> "dlfs.numerical" in deps and "dlfs.nets" not in deps
    True
    """
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_path(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        if name not in _MACHINERY or name == module:
            todo.extend(_imports(name, path) - seen)
    return tuple(sorted(seen))


def source_digest(*modules: str) -> str:
    """A digest of the source of `modules` and of every dlfs module they need."""
    digest = hashlib.sha256()
    for name in sorted(set().union(*(dependencies(m) for m in modules))):
        path = _module_path(name)
        assert path is not None
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def environment() -> str:
    """What else a result may depend on: the versions of Python and NumPy, the machine."""
    return f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}"


# ------------------------------------------------------------------ encoding
def _registered() -> dict[str, type]:
    """The dlfs types a result may hold, by name: nothing else is ever built from a file."""
    from dlfs.gradcheck import GradCheck
    from dlfs.timing import Timing
    from dlfs.train import History

    return {f"{t.__module__}.{t.__qualname__}": t for t in (History, GradCheck, Timing)}


def encode(value: Any) -> Any:
    """`value` as JSON-ready data: arrays, dicts with any keys, tuples and the registered types kept."""
    if isinstance(value, np.ndarray):
        return {"__ndarray__": base64.b64encode(value.tobytes(order="C")).decode(),
                "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    name = f"{type(value).__module__}.{type(value).__qualname__}"
    if name in _registered():
        if dataclasses.is_dataclass(value):
            return {"__type__": name, "fields": {f.name: encode(getattr(value, f.name))
                                                 for f in dataclasses.fields(value)}}
        return {"__type__": name, "values": [encode(v) for v in value]}  # a NamedTuple
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"a cached result cannot hold {type(value).__name__}: {value!r:.60}")


def decode(data: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__ndarray__" in data:
        raw = base64.b64decode(data["__ndarray__"])
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__dict__"]}
    registered = _registered()
    if data.get("__type__") not in registered:
        raise ValueError(f"a cached result names {data.get('__type__')!r}, which is not one of {sorted(registered)}")
    kind = registered[data["__type__"]]
    if "fields" in data:
        return kind(**{k: decode(v) for k, v in data["fields"].items()})
    return kind(*[decode(v) for v in data["values"]])


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


# ------------------------------------------------------------------ the decorator
_memory: dict[str, Any] = {}


def _call_key(fn: Callable[..., Any], args: tuple, kwargs: dict) -> str:
    bound = inspect.signature(fn).bind(*args, **kwargs)
    bound.apply_defaults()
    return repr(sorted(bound.arguments.items()))


def disk_folder() -> Path | None:
    """The folder named by ``DLFS_BOOK_CACHE``, or None when results stay in memory."""
    folder = os.environ.get(ENV)
    return Path(folder) if folder else None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl  # POSIX only; only reached when a disk cache is in use

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def disk_path(name: str, modules: tuple[str, ...], call: str) -> Path | None:
    """Where result `name` for arguments `call`, computed by code in `modules`, is kept on disk."""
    folder = disk_folder()
    if folder is None:
        return None
    text = "\n".join([name, call, source_digest(*modules), environment()])
    return folder / name / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"


def peek(name: str, modules: tuple[str, ...], call: str) -> Any | None:
    """The result kept on disk, or None if there is none (nothing is computed)."""
    path = disk_path(name, modules, call)
    if path is None or not path.is_file():
        return None
    return decode(json.loads(path.read_text(encoding="utf-8")))


def stored(name: str, modules: str | tuple[str, ...], call: str, compute: Callable[[], Any]) -> Any:
    """Return ``compute()``, computed once per process and, with a disk cache, once per cache.

    `name` and `call` say what is computed (a function and its arguments);
    `modules` is where the code that computes it lives: the key covers the
    source of those modules and of every dlfs module they need.
    """
    memo = f"{name}({call})"
    if memo in _memory:
        return decode(_memory[memo])
    path = disk_path(name, (modules,) if isinstance(modules, str) else modules, call)
    if path is None:
        data = encode(compute())
    else:
        with _locked(path.with_suffix(".lock")):
            if path.is_file():
                data = json.loads(path.read_text(encoding="utf-8"))
            else:
                data = encode(compute())
                with atomic_file(path, "w") as out:
                    json.dump(data, out)
    _memory[memo] = data
    return decode(data)


def cached(fn: F) -> F:
    """Compute ``fn(*args)`` once per process and, with ``DLFS_BOOK_CACHE`` set, once per cache.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> calls = []
    >>> @cached
    ... def square(x):
    ...     calls.append(x)
    ...     return np.array([x * x], dtype=float)
    >>> with tempfile.TemporaryDirectory() as folder:  # an empty cache
    ...     with mock.patch.dict(os.environ, {"DLFS_BOOK_CACHE": folder}):
    ...         print(square(3), square(3), len(calls), len(os.listdir(folder)) > 0)
    [9.] [9.] 1 True
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return stored(name, fn.__module__, _call_key(fn, args, kwargs), lambda: fn(*args, **kwargs))

    return wrapper  # type: ignore[return-value]


def clear_memory() -> None:
    """Forget the results kept in this process (the disk cache is left alone)."""
    _memory.clear()
