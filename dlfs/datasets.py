"""MNIST and Fashion-MNIST as NumPy arrays, like the book's ``dataset/mnist.py``.

Chapter "Training on MNIST" (``docs/training.md``) calls :func:`load_mnist`. The four gzip IDX files of
a data set are looked for in ``data_dir`` if given, else in ``$DLFS_DATA/<name>/``
if ``DLFS_DATA`` is set, else in the user cache ``$XDG_CACHE_HOME/dlfs/<name>/``
(``~/.cache/dlfs/<name>/``); Fashion-MNIST also in Debian's
``/usr/share/datasets/fashion-mnist/`` (package ``dataset-fashion-mnist``).
Missing files are downloaded into the first of those folders, unless
``download=False``. Nothing is ever printed: progress goes to :mod:`logging`.

Examples
--------
>>> import dataclasses, tempfile
>>> import numpy as np
>>> from dlfs.datasets import MNIST, load_mnist
>>> from dlfs.idx import write_idx
>>> tiny = dataclasses.replace(MNIST, n_train=5, n_test=3, verify_on_load=False)
>>> with tempfile.TemporaryDirectory() as tmp:
...     for split, n in [("train", 5), ("t10k", 3)]:
...         write_idx(f"{tmp}/{split}-images-idx3-ubyte.gz", np.full((n, 28, 28), 255, np.uint8))
...         write_idx(f"{tmp}/{split}-labels-idx1-ubyte.gz", np.arange(n, dtype=np.uint8))
...     (x_train, t_train), (x_test, t_test) = load_mnist(name=tiny, data_dir=tmp, download=False)
>>> x_train.shape, x_train.dtype, float(x_train.max()), t_test.tolist()
((5, 784), dtype('float32'), 1.0, [0, 1, 2])
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dlfs.download import ChecksumError, DownloadError, checksum_error, fetch
from dlfs.idx import read_idx

__all__ = [
    "DATASETS",
    "FASHION_MNIST",
    "FILENAMES",
    "MNIST",
    "ChecksumError",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetSpec",
    "DownloadError",
    "data_home",
    "download_dataset",
    "fetch",
    "load_fashion_mnist",
    "load_mnist",
    "locate",
]

log = logging.getLogger(__name__)

# (images, labels) file of each split; the book's train/test split.
_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
FILENAMES = tuple(f for pair in _SPLITS.values() for f in pair)


class DatasetError(ValueError):
    """A data file has the wrong shape, count or labels; the message names it."""


class DatasetNotFoundError(FileNotFoundError):
    """The files are nowhere to be found and may not be downloaded."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Where a data set comes from and what its files must look like."""

    name: str
    base_url: str
    sha256: Mapping[str, str]  # of the upstream .gz files, checked on every download
    verify_on_load: bool  # also check sha256 when reading a file from disk
    n_train: int = 60000
    n_test: int = 10000
    fallback_dirs: tuple[Path, ...] = ()  # read-only system copies, searched last


MNIST = DatasetSpec("mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/", {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}, verify_on_load=True)
# Debian recompressed its copy, so bytes on disk may differ from upstream's:
# files read from disk get structural checks only.
FASHION_MNIST = DatasetSpec("fashion-mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
    "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
    "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
    "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
    "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
}, verify_on_load=False, fallback_dirs=(Path("/usr/share/datasets/fashion-mnist"),))
DATASETS = {spec.name: spec for spec in (MNIST, FASHION_MNIST)}


def data_home() -> Path:
    """Folder that holds one subfolder per data set: ``$DLFS_DATA``, else the user cache.

    ``DLFS_DATA`` must name an existing folder (it is never created); the cache
    is ``$XDG_CACHE_HOME/dlfs`` or ``~/.cache/dlfs``, created on download.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> from dlfs.datasets import data_home
    >>> with mock.patch.dict(os.environ, {"XDG_CACHE_HOME": "/tmp/cache"}):
    ...     _ = os.environ.pop("DLFS_DATA", None)  # restored on leaving the block
    ...     print(data_home())
    /tmp/cache/dlfs
    """
    if root := os.environ.get("DLFS_DATA"):
        if not Path(root).is_dir():
            raise DatasetNotFoundError(
                f"DLFS_DATA is set to {root!r}, which is not an existing folder; "
                "create it (with e.g. mnist/ inside), or unset DLFS_DATA"
            )
        return Path(root)
    cache = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(cache) if os.path.isabs(cache) else Path.home() / ".cache") / "dlfs"


def download_dataset(
    dataset: str | DatasetSpec, dest_dir: str | os.PathLike[str], *,
    base_url: str | None = None, checksums: Mapping[str, str | None] | None = None, timeout: float = 30.0,
) -> list[Path]:
    """Fetch the four files of ``dataset`` that ``dest_dir`` lacks; return all four paths.

    The mirror is ``base_url``, else ``$DLFS_MNIST_MIRROR`` (``$DLFS_FASHION_MNIST_MIRROR``),
    else the data set's own. Each file's SHA-256 must equal ``checksums[file]``
    (default: the upstream digests; a ``None`` value skips the check).
    """
    spec = _spec(dataset)
    env = f"DLFS_{spec.name.upper().replace('-', '_')}_MIRROR"
    base = base_url or os.environ.get(env) or spec.base_url
    sums = spec.sha256 if checksums is None else checksums
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    for filename in FILENAMES:
        if not (dest_dir / filename).is_file():
            url = base.rstrip("/") + "/" + filename
            log.info("downloading %s to %s", url, dest_dir)
            fetch(url, dest_dir / filename, sha256=sums[filename], timeout=timeout)
    return [dest_dir / f for f in FILENAMES]


# Parsed uint8 arrays by resolved path, valid while (mtime, size, digest) match.
_cache: dict[Path, tuple[tuple[int, int, str | None], np.ndarray]] = {}


def _read(path: Path, sha256: str | None) -> np.ndarray:
    st, path = path.stat(), path.resolve()
    key = (st.st_mtime_ns, st.st_size, sha256)
    if path not in _cache or _cache[path][0] != key:
        data = path.read_bytes()
        if sha256 is not None and (actual := hashlib.sha256(data).hexdigest()) != sha256:
            raise checksum_error(path, sha256, actual)
        _cache[path] = (key, read_idx(data, name=str(path)))
    return _cache[path][1]


def _load_split(folder: Path, spec: DatasetSpec, split: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    img_path, lbl_path = (folder / f for f in _SPLITS[split])
    sha = spec.sha256 if spec.verify_on_load else {}
    images, labels = _read(img_path, sha.get(img_path.name)), _read(lbl_path, sha.get(lbl_path.name))
    if images.shape[1:] != (28, 28):
        raise DatasetError(f"{img_path}: expected images of shape (N, 28, 28), got {images.shape}")
    if labels.ndim != 1:
        raise DatasetError(f"{lbl_path}: expected labels of shape (N,), got {labels.shape}")
    if len(images) != len(labels):
        raise DatasetError(f"{img_path} holds {len(images)} images but {lbl_path} {len(labels)} labels")
    if len(images) != n:
        raise DatasetError(f"{img_path}: expected {n} {split} images, got {len(images)}")
    if labels.size and (top := int(labels.max())) > 9:
        raise DatasetError(f"{lbl_path}: labels must lie in 0..9, found {top} at index {int(labels.argmax())}")
    return images, labels


def _spec(dataset: str | DatasetSpec) -> DatasetSpec:
    if isinstance(dataset, DatasetSpec):
        return dataset
    if dataset not in DATASETS:
        raise ValueError(f"dataset name must be one of {sorted(DATASETS)}, got {dataset!r}")
    return DATASETS[dataset]


def locate(name: str | DatasetSpec = "mnist", *, data_dir: str | os.PathLike[str] | None = None,
           download: bool = True) -> Path:
    """Return the folder that holds the four files of a data set, downloading them if missing.

    The lookup of the module docstring: ``data_dir``, else ``$DLFS_DATA/<name>/``,
    else the user cache (then, for Fashion-MNIST, Debian's copy). Missing
    files are downloaded into the first folder unless ``download=False``.

    Raises
    ------
    DatasetNotFoundError
        The files are not all in any of those folders and may not, or could
        not, be downloaded; the message names the folders and what to do.
    """
    spec = _spec(name)
    primary = Path(data_dir) if data_dir is not None else data_home() / spec.name
    searched = [primary, *(() if data_dir is not None else spec.fallback_dirs)]
    folder = next((d for d in searched if all((d / f).is_file() for f in FILENAMES)), None)
    if folder is not None:
        return folder
    where = ", ".join(str(d) for d in searched)
    how = (f"Set DLFS_DATA to a folder that contains {spec.name}/ with the files "
           f"{', '.join(FILENAMES)} (or pass data_dir=)")
    if not download:
        raise DatasetNotFoundError(
            f"{spec.name}: the four files were not all found; looked in {where}. {how}, "
            "or allow download=True.")
    try:
        return download_dataset(spec, primary)[0].parent
    except DownloadError as err:
        raise DatasetNotFoundError(
            f"{spec.name}: the four files were not all found in {where}, and downloading them "
            f"failed: {err}. {how}.") from err


def load_mnist(
    normalize: bool = True, flatten: bool = True, one_hot_label: bool = False, *,
    name: str | DatasetSpec = "mnist", data_dir: str | os.PathLike[str] | None = None,
    dtype: npt.DTypeLike = np.float32, download: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load ``(x_train, t_train), (x_test, t_test)`` as in the book's chapter 3.

    Parameters
    ----------
    normalize : bool
        Pixels as ``dtype`` in [0, 1] if true, else the raw uint8 0..255.
    flatten : bool
        Images of shape (N, 784) if true, else (N, 1, 28, 28).
    one_hot_label : bool
        Labels of shape (N, 10) in ``dtype`` if true, else class indices (N,)
        of the platform's index type, ``np.intp`` (int64 on 64-bit systems).
    name : {"mnist", "fashion-mnist"} or DatasetSpec
    data_dir : path, optional
        Read (and download into) this folder only; see the module docstring.
    dtype : floating dtype, default float32
    download : bool
        Fetch missing files; if false, raise :class:`DatasetNotFoundError` instead.

    Returns
    -------
    (x_train, t_train), (x_test, t_test) : new arrays, the caller's to mutate
        N is 60,000 for train and 10,000 for test; the module docstring runs
        this on tiny files.

    Every file is checked: IDX header, 28x28 images, the expected count, as
    many labels as images, labels in 0..9. MNIST files must also match the
    upstream SHA-256, on download and on every read from disk (about 30 ms; a
    file is re-read only when its size or mtime changes). Fashion-MNIST is
    checksummed on download only, because Debian's copy is recompressed.
    """
    spec, dtype = _spec(name), np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a floating type, got {dtype}")
    folder = locate(spec, data_dir=data_dir, download=download)
    out = []
    for split, n in (("train", spec.n_train), ("test", spec.n_test)):
        images, labels = _load_split(folder, spec, split, n)
        # astype, copy and np.eye make new arrays: the cache is never handed out
        x = images.astype(dtype) if normalize else images.copy()
        if normalize:
            x /= 255
        x = x.reshape(n, 784) if flatten else x.reshape(n, 1, 28, 28)
        t = np.eye(10, dtype=dtype)[labels] if one_hot_label else labels.astype(np.intp)
        out.append((x, t))
    return out[0], out[1]


def load_fashion_mnist(
    normalize: bool = True, flatten: bool = True, one_hot_label: bool = False, *,
    data_dir: str | os.PathLike[str] | None = None, dtype: npt.DTypeLike = np.float32, download: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST: :func:`load_mnist` with ``name="fashion-mnist"``."""
    return load_mnist(normalize, flatten, one_hot_label, name=FASHION_MNIST,
                      data_dir=data_dir, dtype=dtype, download=download)
