"""MNIST and Fashion-MNIST, read from the original IDX files.

>>> x, y = load_mnist("train", subset=1000)     # x: (1000, 1, 28, 28) float32 in [0, 1]
>>> x.shape, y.dtype                            # y: (1000,) int64 class labels
((1000, 1, 28, 28), dtype('int64'))

Where the files come from, first match wins:

1. the ``data_dir`` argument,
2. the folder named by the environment variable ``CNN_COURSE_DATA``,
3. the user cache, ``pooch.os_cache("cnn_course")``: ``$XDG_CACHE_HOME/cnn_course`` or
   ``~/.cache/cnn_course`` on Linux.

Each holds one sub-folder per dataset (``mnist/``, ``fashion-mnist/``) with the four
gzip-compressed IDX files. A file that is missing, or whose SHA-256 does not match the published
one, is downloaded from the public mirrors below, each tried in turn, by ``pooch.retrieve``: it
streams to a temporary file in the same folder, checks the SHA-256 and only then renames the file
into place. With no network, the error says which files to put where.

An IDX file is a big-endian header (a magic number, 2051 for images or 2049 for labels, then the
count and, for images, rows and columns, each an unsigned 32-bit int) followed by uint8 values.
"""

import gzip
import os
import struct
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pooch

__all__ = [
    "CLASS_NAMES", "ENV_VAR", "FASHION_MNIST_CLASSES", "FILES", "MIRRORS", "MNIST_CLASSES",
    "SHA256", "DataUnavailableError", "Dataset", "balanced_subset", "data_home", "fetch",
    "load_dataset", "load_fashion_mnist", "load_mnist", "read_idx_images", "read_idx_labels",
]

ENV_VAR = "CNN_COURSE_DATA"

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

CLASS_NAMES = {"mnist": MNIST_CLASSES, "fashion-mnist": FASHION_MNIST_CLASSES}

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Base URLs, tried in order. The LeCun site is often unreachable, so it comes last.
MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion-mnist": [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    ],
}

SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}


class Dataset(NamedTuple):
    """One split of a dataset; unpacks as ``images, labels = ...``.

    - images: float32 array of shape (N, 1, 28, 28), values in [0, 1]
    - labels: int64 array of shape (N,), class indices 0-9
    """

    images: np.ndarray
    labels: np.ndarray


class DataUnavailableError(FileNotFoundError):
    """Raised when dataset files are missing and cannot be downloaded."""


def data_home(data_dir=None):
    """Return the folder that holds (or will hold) the ``mnist/`` and ``fashion-mnist/`` folders.

    ``data_dir`` wins, then the ``CNN_COURSE_DATA`` environment variable, then the user cache
    ``pooch.os_cache("cnn_course")`` (on Linux ``$XDG_CACHE_HOME/cnn_course``, by default
    ``~/.cache/cnn_course``).
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    return Path(pooch.os_cache("cnn_course"))


def _offline_message(name, folder, reason):
    listing = "\n".join(f"  {folder / filename}" for split in FILES for filename in FILES[split])
    return (
        f"{reason}\n"
        f"Put the {name} files (gzip-compressed IDX, as published) at:\n{listing}\n"
        f"or set the environment variable {ENV_VAR} to a folder that contains a "
        f"'{name}/' folder with these four files (e.g. {ENV_VAR}=/path/to/data with the files "
        f"in /path/to/data/{name}/), or pass data_dir=. Currently looking in {folder.parent}.")


def fetch(name, split="train", *, data_dir=None, download=True):
    """Make sure the two files of a split are present and intact; return their paths.

    Inputs:
    - name: "mnist" or "fashion-mnist"
    - split: "train" or "test"
    - data_dir: folder holding ``<name>/``; default from ``data_home()``
    - download: fetch missing or corrupt files from the mirrors

    Returns (images_path, labels_path). Raises DataUnavailableError when a file is missing or
    corrupt and cannot be downloaded.
    """
    _check_name_split(name, split)
    folder = data_home(data_dir) / name
    paths = [folder / filename for filename in FILES[split]]
    for path in paths:
        expected = SHA256[name][path.name]
        if path.is_file() and pooch.file_hash(str(path)) == expected:
            continue
        problem = "is corrupt (SHA-256 mismatch)" if path.exists() else "is missing"
        if not download:
            raise DataUnavailableError(_offline_message(
                name, folder, f"{path} {problem} and download=False."))
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DataUnavailableError(_offline_message(
                name, folder, f"{path} {problem} and its folder cannot be created: {e}")) from e
        if not os.access(folder, os.W_OK):
            raise DataUnavailableError(_offline_message(
                name, folder, f"{path} {problem} and {folder} is not writable."))
        errors = []
        for base in MIRRORS[name]:
            url = base + path.name
            try:  # pooch logs "Downloading data from ..." and removes a failed download
                pooch.retrieve(url, known_hash=f"sha256:{expected}", fname=path.name,
                               path=folder)
                break
            except (OSError, ValueError) as e:  # requests' errors are OSErrors; bad hash: Value
                errors.append(f"  {url}: {e}")
        else:
            tried = "\n".join(errors) or "  (no mirrors configured)"
            raise DataUnavailableError(_offline_message(
                name, folder, f"{path} {problem} and every mirror failed:\n{tried}"))
    return tuple(paths)


def _read_idx(path, magic):
    """Read a gzip IDX file, checking its magic number and size.

    Returns (dims, raw, offset): the sizes from the header, the decompressed bytes, and where
    the values start in them.
    """
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = 3 if magic == 2051 else 1
    header = 4 * (1 + ndim)
    if len(raw) < 4:
        raise ValueError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    (found,) = struct.unpack(">I", raw[:4])
    if found != magic:
        raise ValueError(f"{path}: IDX magic number is {found}, expected {magic}")
    if len(raw) < header:
        raise ValueError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    size = int(np.prod(dims))
    if len(raw) - header != size:
        raise ValueError(f"{path}: header gives shape {tuple(dims)} ({size} values) "
                         f"but the file holds {len(raw) - header}")
    return tuple(dims), raw, header


def read_idx_images(path):
    """Read an IDX image file (magic 2051).

    Returns a uint8 array of shape (N, 1, H, W).
    """
    (n, rows, cols), raw, offset = _read_idx(path, 2051)
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(n, 1, rows, cols)


def read_idx_labels(path):
    """Read an IDX label file (magic 2049).

    Returns a uint8 array of shape (N,).
    """
    (n,), raw, offset = _read_idx(path, 2049)
    return np.frombuffer(raw, np.uint8, offset=offset)


def balanced_subset(labels, n, *, seed=0):
    """Return sorted indices of a seeded, class-balanced subset of ``n`` examples.

    Each class gets n // K examples (K classes present), and the first n % K classes one more;
    within a class the examples are drawn at random without replacement.
    """
    classes, counts = np.unique(labels, return_counts=True)
    per_class = np.full(len(classes), n // len(classes))
    per_class[: n % len(classes)] += 1
    if np.any(per_class > counts):
        raise ValueError(f"subset={n} needs {per_class.max()} examples of each class, "
                         f"but some class has only {counts.min()}")
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False)
             for c, k in zip(classes, per_class)]
    return np.sort(np.concatenate(picks))


def _check_name_split(name, split):
    if name not in SHA256:
        raise ValueError(f"unknown dataset {name!r}; choose from {sorted(SHA256)}")
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def load_dataset(name, split="train", *, subset=None, seed=0, data_dir=None, download=True):
    """Load one split of MNIST or Fashion-MNIST.

    Inputs:
    - name: "mnist" or "fashion-mnist"
    - split: "train" (60,000 images) or "test" (10,000 images)
    - subset: None for all images, or n for a seeded, class-balanced subset of n images
      (kept in the original order)
    - seed: chooses the subset
    - data_dir: folder holding ``<name>/``; default from ``data_home()``
    - download: fetch missing or corrupt files from the public mirrors

    Returns a Dataset (images, labels):
    - images: float32 array of shape (N, 1, 28, 28), values in [0, 1]
    - labels: int64 array of shape (N,)
    """
    images_path, labels_path = fetch(name, split, data_dir=data_dir, download=download)
    images = read_idx_images(images_path)
    labels = read_idx_labels(labels_path)
    if len(images) != len(labels):
        raise ValueError(f"{images_path.name} holds {len(images)} images but "
                         f"{labels_path.name} holds {len(labels)} labels")
    if labels.size and labels.max() >= len(CLASS_NAMES[name]):
        raise ValueError(f"{labels_path}: label {labels.max()} is out of range for "
                         f"{len(CLASS_NAMES[name])} classes")
    if subset is not None:
        if isinstance(subset, bool) or not isinstance(subset, (int, np.integer)):
            raise TypeError(f"subset must be None or an int, got {subset!r}")
        if not 0 < subset <= len(labels):
            raise ValueError(f"subset must be between 1 and {len(labels)}, got {subset}")
        keep = balanced_subset(labels, int(subset), seed=seed)
        images, labels = images[keep], labels[keep]
    images = np.divide(images, np.float32(255), dtype=np.float32)
    return Dataset(images, labels.astype(np.int64))


def load_mnist(split="train", *, subset=None, seed=0, data_dir=None, download=True):
    """Load MNIST handwritten digits; see ``load_dataset`` for the arguments.

    Returns a Dataset (images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)).
    """
    return load_dataset("mnist", split, subset=subset, seed=seed, data_dir=data_dir,
                        download=download)


def load_fashion_mnist(split="train", *, subset=None, seed=0, data_dir=None, download=True):
    """Load Fashion-MNIST (Zalando); class names are in ``FASHION_MNIST_CLASSES``.

    Returns a Dataset (images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,)).
    """
    return load_dataset("fashion-mnist", split, subset=subset, seed=seed, data_dir=data_dir,
                        download=download)
