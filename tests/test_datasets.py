"""Tests for dlfs.datasets on tiny IDX files, a local HTTP server, and the real data if present."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import os
import signal
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from dlfs.datasets import (
    FASHION_MNIST,
    FILENAMES,
    MNIST,
    ChecksumError,
    DatasetError,
    DatasetNotFoundError,
    DownloadError,
    data_home,
    download_dataset,
    fetch,
    load_fashion_mnist,
    load_mnist,
)
from dlfs.idx import IDXFormatError, write_idx

REAL_DATA = os.environ.get("DLFS_DATA")  # read before the autouse fixture clears it
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
TINY = dataclasses.replace(MNIST, name="tiny", base_url="http://127.0.0.1:9/", sha256={},
                           verify_on_load=False, n_train=5, n_test=3)


def make_tiny(folder: Path, n_train: int = 5, n_test: int = 3) -> dict[str, str]:
    """Write the four files with seeded pixels; return their SHA-256 by file name."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in FILENAMES}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # never read or write the real cache or data from a unit test
    for var in ("DLFS_DATA", "DLFS_MNIST_MIRROR", "DLFS_FASHION_MNIST_MIRROR", "DLFS_TINY_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


# --- loading ------------------------------------------------------------------------------

def test_load_defaults_like_the_book(tmp_path: Path) -> None:
    make_tiny(tmp_path)
    (x, t), (x_test, t_test) = load_mnist(name=TINY, data_dir=tmp_path, download=False)
    assert x.shape == (5, 784) and x.dtype == np.float32 and x.min() >= 0 and x.max() <= 1
    assert t.dtype == np.int64 and t.tolist() == [0, 1, 2, 3, 4]
    assert x_test.shape == (3, 784) and t_test.shape == (3,)


def test_load_options(tmp_path: Path) -> None:
    make_tiny(tmp_path)
    (x, t), _ = load_mnist(name=TINY, normalize=False, flatten=False, one_hot_label=True,
                             data_dir=tmp_path, dtype=np.float64, download=False)
    (x_norm, _), _ = load_mnist(name=TINY, data_dir=tmp_path, dtype=np.float64, download=False)
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.uint8
    np.testing.assert_allclose(x_norm, x.reshape(5, 784) / 255.0)
    assert t.shape == (5, 10) and t.dtype == np.float64
    np.testing.assert_array_equal(t.argmax(axis=1), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)


def test_every_call_returns_fresh_arrays(tmp_path: Path) -> None:
    make_tiny(tmp_path)
    for normalize in (True, False):
        (x, t), _ = load_mnist(normalize, name=TINY, data_dir=tmp_path, download=False)
        x[...] = 0
        t[...] = 9
        (x2, t2), _ = load_mnist(normalize, name=TINY, data_dir=tmp_path, download=False)
        assert x2.any() and t2.tolist() == [0, 1, 2, 3, 4]


def test_integer_dtype_is_refused(tmp_path: Path) -> None:
    make_tiny(tmp_path)
    with pytest.raises(ValueError, match=r"dtype must be a floating type, got int32"):
        load_mnist(name=TINY, data_dir=tmp_path, dtype=np.int32, download=False)


def test_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"must be one of \['fashion-mnist', 'mnist'\], got 'emnist'"):
        load_mnist(name="emnist")


def test_checksum_verified_on_load(tmp_path: Path) -> None:
    sums = make_tiny(tmp_path)
    spec = dataclasses.replace(TINY, sha256=sums, verify_on_load=True)
    load_mnist(name=spec, data_dir=tmp_path, download=False)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(path, np.array([2, 1, 0], dtype=np.uint8))  # same size, other content
    os.utime(path, ns=(1, 1))  # a new mtime, so the in-process cache must re-read
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ChecksumError) as info:
        load_mnist(name=spec, data_dir=tmp_path, download=False)
    assert str(info.value) == f"{path}: SHA-256 mismatch: expected {sums[path.name]}, got {actual}"


@pytest.mark.parametrize(
    ("filename", "content", "error", "match"),
    [
        ("train-images-idx3-ubyte.gz", b"\0\0\x08\x03" + struct.pack(">3I", 5, 28, 28) + bytes(100),
         IDXFormatError, r"truncated data: shape \(5, 28, 28\) needs 3920 bytes .* got 100"),
        ("train-labels-idx1-ubyte.gz", b"\x08\x01\0\0" + bytes(9), IDXFormatError, r"bad magic number 0x08010000"),
        ("t10k-images-idx3-ubyte.gz", b"\x1f\x8b\x08\0\0\0\0\0\0\xff", IDXFormatError, r"truncated gzip stream"),
    ],
)
def test_malformed_file_names_the_file(tmp_path: Path, filename: str, content: bytes,
                                       error: type[Exception], match: str) -> None:
    make_tiny(tmp_path)
    (tmp_path / filename).write_bytes(content)
    with pytest.raises(error, match=f"^{tmp_path / filename}: {match}"):
        load_mnist(name=TINY, data_dir=tmp_path, download=False)


@pytest.mark.parametrize(
    ("filename", "array", "match"),
    [
        ("train-images-idx3-ubyte.gz", np.zeros((4, 28, 28), np.uint8),
         r"train-images-idx3-ubyte.gz holds 4 images but .*train-labels-idx1-ubyte.gz 5 labels"),
        ("t10k-images-idx3-ubyte.gz", np.zeros((3, 27, 27), np.uint8),
         r"t10k-images-idx3-ubyte.gz: expected images of shape \(N, 28, 28\), got \(3, 27, 27\)"),
        ("t10k-labels-idx1-ubyte.gz", np.zeros((3, 1), np.uint8),
         r"t10k-labels-idx1-ubyte.gz: expected labels of shape \(N,\), got \(3, 1\)"),
        ("train-labels-idx1-ubyte.gz", np.array([0, 1, 10, 3, 4], np.uint8),
         r"train-labels-idx1-ubyte.gz: labels must lie in 0..9, found 10 at index 2"),
    ],
)
def test_bad_content_names_the_file(tmp_path: Path, filename: str, array: np.ndarray, match: str) -> None:
    make_tiny(tmp_path)
    write_idx(tmp_path / filename, array)
    with pytest.raises(DatasetError, match=match):
        load_mnist(name=TINY, data_dir=tmp_path, download=False)


def test_wrong_count(tmp_path: Path) -> None:
    make_tiny(tmp_path, n_train=4)
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz: expected 5 train images, got 4"):
        load_mnist(name=TINY, data_dir=tmp_path, download=False)


# --- where files are looked for -----------------------------------------------------------

def test_data_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert data_home() == tmp_path / "cache" / "dlfs"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # the XDG spec says: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_home() == tmp_path / "home" / ".cache" / "dlfs"
    monkeypatch.setenv("DLFS_DATA", str(tmp_path))
    assert data_home() == tmp_path


def test_dlfs_data_missing_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("DLFS_DATA", str(missing))
    with pytest.raises(DatasetNotFoundError, match=f"DLFS_DATA is set to '{missing}', which is not an existing"):
        load_mnist()
    assert not missing.exists()


def test_loads_from_dlfs_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    make_tiny(tmp_path / "data" / "tiny")
    monkeypatch.setenv("DLFS_DATA", str(tmp_path / "data"))
    (x, _), _ = load_mnist(name=TINY, download=False)
    assert x.shape == (5, 784)


def test_loads_from_user_cache(tmp_path: Path) -> None:
    make_tiny(tmp_path / "cache" / "dlfs" / "tiny")
    (x, _), _ = load_mnist(name=TINY, download=False)
    assert x.shape == (5, 784)


def test_fallback_folder_used_last_and_not_with_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    make_tiny(tmp_path / "system")
    spec = dataclasses.replace(TINY, fallback_dirs=(tmp_path / "system",))
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("DLFS_DATA", str(tmp_path / "data"))
    (x, _), _ = load_mnist(name=spec, download=False)
    assert x.shape == (5, 784)
    with pytest.raises(DatasetNotFoundError):
        load_mnist(name=spec, data_dir=tmp_path / "data", download=False)


def test_nothing_found_offline_says_where_and_how(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("DLFS_DATA", str(tmp_path / "data"))
    spec = dataclasses.replace(FASHION_MNIST, fallback_dirs=(tmp_path / "debian",))
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(name=spec, download=False)
    message = str(info.value)
    assert f"looked in {tmp_path / 'data' / 'fashion-mnist'}, {tmp_path / 'debian'}." in message
    assert "\n" not in message  # one line, for the command line and the site build
    assert "Set DLFS_DATA to a folder that contains fashion-mnist/" in message
    assert "train-images-idx3-ubyte.gz" in message and "download=True" in message
    assert isinstance(info.value, FileNotFoundError)


# --- downloads from a local server --------------------------------------------------------

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins the handler threads

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.release = threading.Event()  # lets stalled handlers finish

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up mid-body is what several tests do on purpose


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404)
        else:
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def body(data: bytes, declared: int | None = None) -> Route:
    """Serve ``data`` with a Content-Length of ``declared`` (default: its true length)."""
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data) if declared is None else declared))
        handler.end_headers()
        handler.wfile.write(data)
    return route


def stall(data: bytes, before_wait: Callable[[], None] = lambda: None) -> Route:
    """Send half of ``data``, then hang until the test ends."""
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        before_wait()
        handler.server.release.wait(10)  # type: ignore[attr-defined]
    return route


def reset(data: bytes) -> Route:
    """Send half of ``data`` without a Content-Length, then reset the connection (TCP RST)."""
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
    return route


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        thread.join()


DATA = bytes(range(256)) * 64
DATA_SHA = hashlib.sha256(DATA).hexdigest()


def test_fetch_verifies_and_places_file(server: _Server, tmp_path: Path) -> None:
    server.routes["/f.gz"] = body(DATA)
    path = fetch(server.url + "/f.gz", tmp_path / "f.gz", sha256=DATA_SHA)
    assert path.read_bytes() == DATA and os.listdir(tmp_path) == ["f.gz"]
    assert path.stat().st_mode & 0o777 == 0o644


def test_fetch_404(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"downloading http://127.0.0.1:\d+/missing.gz to .* 404"):
        fetch(server.url + "/missing.gz", tmp_path / "f.gz", sha256=DATA_SHA)
    assert os.listdir(tmp_path) == []


def test_fetch_checksum_mismatch_leaves_nothing(server: _Server, tmp_path: Path) -> None:
    server.routes["/f.gz"] = body(DATA[::-1])
    with pytest.raises(ChecksumError) as info:
        fetch(server.url + "/f.gz", tmp_path / "f.gz", sha256=DATA_SHA)
    actual = hashlib.sha256(DATA[::-1]).hexdigest()
    assert str(info.value) == f"{tmp_path / 'f.gz'}: SHA-256 mismatch: expected {DATA_SHA}, got {actual}"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("route", [body(DATA, declared=len(DATA) + 1000), reset(DATA)],
                         ids=["content-length-too-large", "connection-reset"])
def test_interrupted_download_leaves_nothing(server: _Server, tmp_path: Path, route: Route) -> None:
    server.routes["/f.gz"] = route
    with pytest.raises(DownloadError, match=r"downloading http://127.0.0.1:\d+/f.gz to .*f.gz"):
        fetch(server.url + "/f.gz", tmp_path / "f.gz", sha256=None)  # no checksum: the length must catch it
    assert os.listdir(tmp_path) == []


def test_timeout_leaves_nothing(server: _Server, tmp_path: Path) -> None:
    server.routes["/f.gz"] = stall(DATA)
    with pytest.raises(DownloadError, match=r"TimeoutError|timed out"):
        fetch(server.url + "/f.gz", tmp_path / "f.gz", sha256=DATA_SHA, timeout=0.3)
    assert os.listdir(tmp_path) == []


@pytest.fixture
def ctrl_c_raises():
    """Python's KeyboardInterrupt on SIGINT, as in a terminal, even when the tests were started
    with SIGINT ignored (a background job of a non-interactive shell); restored afterward."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_leaves_nothing(server: _Server, tmp_path: Path, ctrl_c_raises: None) -> None:
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main, "SIGINT only interrupts the main thread"
    server.routes["/f.gz"] = stall(DATA, lambda: signal.pthread_kill(main, signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        fetch(server.url + "/f.gz", tmp_path / "f.gz", sha256=DATA_SHA)
    assert os.listdir(tmp_path) == []


def serve_tiny(server: _Server, tmp_path: Path) -> dict[str, str]:
    sums = make_tiny(tmp_path / "upstream")
    for f in FILENAMES:
        server.routes[f"/mirror/{f}"] = body((tmp_path / "upstream" / f).read_bytes())
    return sums


def test_download_dataset_fetches_only_missing_files(server: _Server, tmp_path: Path) -> None:
    sums = serve_tiny(server, tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / FILENAMES[0]).write_bytes((tmp_path / "upstream" / FILENAMES[0]).read_bytes())
    paths = download_dataset(TINY, dest, base_url=server.url + "/mirror/", checksums=sums)
    assert paths == [dest / f for f in FILENAMES] and sorted(os.listdir(dest)) == sorted(FILENAMES)
    assert server.requests == [f"/mirror/{f}" for f in FILENAMES[1:]]


def test_mirror_from_environment(monkeypatch: pytest.MonkeyPatch, server: _Server, tmp_path: Path) -> None:
    sums = serve_tiny(server, tmp_path)
    monkeypatch.setenv("DLFS_MNIST_MIRROR", server.url + "/mirror")
    download_dataset("mnist", tmp_path / "dest", checksums=sums)
    assert sorted(os.listdir(tmp_path / "dest")) == sorted(FILENAMES)


def test_load_downloads_when_missing(server: _Server, tmp_path: Path) -> None:
    sums = serve_tiny(server, tmp_path)
    spec = dataclasses.replace(TINY, base_url=server.url + "/mirror/", sha256=sums, verify_on_load=True)
    (x, t), _ = load_mnist(name=spec)  # into $XDG_CACHE_HOME/dlfs/tiny
    assert x.shape == (5, 784) and t.tolist() == [0, 1, 2, 3, 4]
    assert sorted(os.listdir(tmp_path / "cache" / "dlfs" / "tiny")) == sorted(FILENAMES)


def test_load_download_with_bad_checksum_keeps_nothing(server: _Server, tmp_path: Path) -> None:
    sums = serve_tiny(server, tmp_path)
    sums["t10k-images-idx3-ubyte.gz"] = "0" * 64
    spec = dataclasses.replace(TINY, base_url=server.url + "/mirror/", sha256=sums)
    with pytest.raises(ChecksumError, match=r"t10k-images-idx3-ubyte.gz: SHA-256 mismatch: expected 0{64}"):
        load_mnist(name=spec, data_dir=tmp_path / "dest")
    assert "t10k-images-idx3-ubyte.gz" not in os.listdir(tmp_path / "dest")
    assert not [f for f in os.listdir(tmp_path / "dest") if f.startswith(".")]


# --- the real data ------------------------------------------------------------------------

def test_real_mnist(monkeypatch: pytest.MonkeyPatch) -> None:
    if REAL_DATA is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set DLFS_DATA to a folder with mnist/ (see .ci/run)")
        pytest.skip("DLFS_DATA is not set: no real MNIST to test against")
    monkeypatch.setenv("DLFS_DATA", REAL_DATA)
    (x, t), (x_test, t_test) = load_mnist(download=False)
    assert x.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert t.dtype == np.int64 and set(np.unique(t)) == set(range(10)) == set(np.unique(t_test))
    assert t[0] == 5


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(),
                    reason=f"{DEBIAN_FASHION} missing: apt-get install dataset-fashion-mnist")
def test_debian_fashion_mnist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DLFS_DATA", str(tmp_path))  # empty: only the Debian fallback has the files
    (x, t), (x_test, t_test) = load_fashion_mnist(flatten=False, download=False)
    assert x.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert set(np.unique(t)) == set(range(10)) == set(np.unique(t_test))
    assert t[0] == 9  # an ankle boot
