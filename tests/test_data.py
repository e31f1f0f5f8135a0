"""Tests for cnn_course.data: IDX parsing, real MNIST/Fashion-MNIST, subsets, downloads.

Real-data tests read the shared offline copy (``<repo>/../shared/data``, or $CNN_COURSE_DATA);
download tests (pooch under the hood) serve files from a temporary folder over http on
127.0.0.1: SHA-256 checks, mirror fallback, no partial files, the offline message. Nothing here
touches the internet.
"""

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import struct
import threading

import numpy as np
import pytest

from cnn_course import data


# Facts stated in shared/data/README.md (counts of digits 0-9).
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist_train(shared_data_dir):
    return data.load_mnist("train", data_dir=shared_data_dir, download=False)


# ---------------------------------------------------------------- real data


def test_mnist_train_has_published_counts_dtype_and_range(mnist_train):
    x, y = mnist_train
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (60000,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.bincount(y, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    # the famous first training digits
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_mnist_test_split_via_env_var_has_published_counts(shared_data):
    x, y = data.load_mnist("test")
    assert x.shape == (10000, 1, 28, 28)
    assert np.bincount(y, minlength=10).tolist() == MNIST_TEST_COUNTS


def test_pixels_are_raw_bytes_over_255(shared_data):
    x, _ = data.load_mnist("test")
    with gzip.open(shared_data / "mnist" / "t10k-images-idx3-ubyte.gz", "rb") as f:
        raw = np.frombuffer(f.read()[16:16 + 784], np.uint8)
    np.testing.assert_array_equal(np.rint(x[0].ravel() * 255).astype(np.uint8), raw)


def test_fashion_mnist_test_split_is_balanced(shared_data):
    x, y = data.load_fashion_mnist("test")
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32
    assert np.bincount(y, minlength=10).tolist() == [1000] * 10
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_fashion_mnist_train_labels_are_balanced(shared_data):
    _, labels_path = data.fetch("fashion-mnist", "train")
    labels = data.read_idx_labels(labels_path)
    assert np.bincount(labels).tolist() == [6000] * 10
    assert labels[0] == 9  # the first training image is an ankle boot


def test_subset_is_class_balanced_and_seeded(shared_data):
    x1, y1 = data.load_mnist("train", subset=1000, seed=3)
    x2, y2 = data.load_mnist("train", subset=1000, seed=3)
    x3, y3 = data.load_mnist("train", subset=1000, seed=4)
    assert x1.shape == (1000, 1, 28, 28)
    assert np.bincount(y1).tolist() == [100] * 10
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


def test_subset_rows_are_rows_of_the_full_split(mnist_train, shared_data_dir):
    x, y = mnist_train
    keep = data.balanced_subset(y, 25, seed=0)
    xs, ys = data.load_mnist("train", subset=25, seed=0, data_dir=shared_data_dir)
    np.testing.assert_array_equal(xs, x[keep])
    np.testing.assert_array_equal(ys, y[keep])
    assert np.all(np.diff(keep) > 0)  # original order is kept


def test_balanced_subset_spreads_the_remainder():
    labels = np.repeat(np.arange(3), 10)
    keep = data.balanced_subset(labels, 8, seed=0)
    assert np.bincount(labels[keep]).tolist() == [3, 3, 2]
    assert len(set(keep.tolist())) == 8


@pytest.mark.parametrize("subset, error", [(0, ValueError), (10001, ValueError),
                                           (2.5, TypeError), (True, TypeError)])
def test_bad_subset_is_rejected(shared_data, subset, error):
    with pytest.raises(error, match="subset"):
        data.load_mnist("test", subset=subset)


def test_bad_name_or_split_is_rejected(shared_data):
    with pytest.raises(ValueError, match="unknown dataset"):
        data.load_dataset("cifar10")
    with pytest.raises(ValueError, match="split"):
        data.load_mnist("validation")


# ---------------------------------------------------------------- where files live


def test_data_dir_argument_beats_env_var_beats_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    assert data.data_home() == tmp_path / "cache" / "cnn_course"
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env"))
    assert data.data_home() == tmp_path / "env"
    assert data.data_home(tmp_path / "arg") == tmp_path / "arg"


def test_cache_defaults_to_home_dot_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.data_home() == tmp_path / ".cache" / "cnn_course"


# ---------------------------------------------------------------- IDX parsing


def _idx_bytes(magic, array):
    header = struct.pack(f">{1 + array.ndim}I", magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_gz(path, payload):
    with gzip.open(path, "wb") as f:
        f.write(payload)


def test_read_idx_parses_header_and_payload(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    _write_gz(tmp_path / "img.gz", _idx_bytes(2051, images))
    _write_gz(tmp_path / "lab.gz", _idx_bytes(2049, np.array([7, 0, 2])))
    np.testing.assert_array_equal(data.read_idx_images(tmp_path / "img.gz"), images[:, None])
    assert data.read_idx_labels(tmp_path / "lab.gz").tolist() == [7, 0, 2]


def test_read_idx_rejects_wrong_magic_and_truncated_payload(tmp_path):
    _write_gz(tmp_path / "lab.gz", _idx_bytes(2049, np.arange(4)))
    with pytest.raises(ValueError, match="magic number is 2049, expected 2051"):
        data.read_idx_images(tmp_path / "lab.gz")
    _write_gz(tmp_path / "short.gz", _idx_bytes(2051, np.zeros((2, 3, 3)))[:-1])
    with pytest.raises(ValueError, match=r"shape \(2, 3, 3\)"):
        data.read_idx_images(tmp_path / "short.gz")
    _write_gz(tmp_path / "tiny.gz", b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        data.read_idx_labels(tmp_path / "tiny.gz")


# ---------------------------------------------------------------- downloads


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; paths under /truncated/ promise more bytes than they send."""

    def do_GET(self):
        if self.path.startswith("/truncated/"):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b partial")
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server(tmp_path, monkeypatch):
    """An http server on 127.0.0.1 serving tmp_path/'served'; yields (base_url, folder)."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_Handler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", folder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def synthetic_mnist(server, monkeypatch):
    """Serve tiny synthetic 'mnist' test files and patch the mirrors and checksums to them."""
    base, folder = server
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
    labels = np.tile(np.arange(10), 2)
    names = data.FILES["test"]
    _write_gz(folder / names[0], _idx_bytes(2051, images))
    _write_gz(folder / names[1], _idx_bytes(2049, labels))
    sums = dict(data.SHA256["mnist"])
    for name in names:
        sums[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    monkeypatch.setitem(data.SHA256, "mnist", sums)
    monkeypatch.setitem(data.MIRRORS, "mnist", [base])
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    return images, labels, folder


def test_download_fetches_missing_files_from_a_mirror(synthetic_mnist, tmp_path):
    images, labels, _ = synthetic_mnist
    x, y = data.load_mnist("test", data_dir=tmp_path / "home")
    np.testing.assert_array_equal(x[:, 0], images / np.float32(255))
    np.testing.assert_array_equal(y, labels)
    assert sorted(os.listdir(tmp_path / "home" / "mnist")) == sorted(data.FILES["test"])


def test_download_skips_a_dead_mirror_and_uses_the_next(synthetic_mnist, monkeypatch, tmp_path):
    live = data.MIRRORS["mnist"][0]
    dead = f"http://127.0.0.1:{_unused_port()}/"
    monkeypatch.setitem(data.MIRRORS, "mnist", [dead, live + "no-such-folder/", live])
    _, y = data.load_mnist("test", data_dir=tmp_path)
    assert y.tolist() == synthetic_mnist[1].tolist()


def test_corrupt_existing_file_is_fetched_again(synthetic_mnist, tmp_path):
    _, labels, served = synthetic_mnist
    target = tmp_path / "mnist"
    target.mkdir()
    name = data.FILES["test"][1]
    (target / name).write_bytes(b"not the labels")
    _, y = data.load_mnist("test", data_dir=tmp_path)
    assert y.tolist() == labels.tolist()
    assert (target / name).read_bytes() == (served / name).read_bytes()


def test_checksum_mismatch_leaves_no_file_behind(synthetic_mnist, monkeypatch, tmp_path):
    monkeypatch.setitem(data.SHA256, "mnist", {k: "0" * 64 for k in data.SHA256["mnist"]})
    with pytest.raises(data.DataUnavailableError, match="does not match the known hash"):
        data.load_mnist("test", data_dir=tmp_path)
    assert os.listdir(tmp_path / "mnist") == []


def test_interrupted_download_leaves_no_partial_file(server, monkeypatch, tmp_path):
    base, _ = server
    monkeypatch.setitem(data.MIRRORS, "mnist", [base + "truncated/"])
    with pytest.raises(data.DataUnavailableError, match="every mirror failed"):
        data.load_mnist("test", data_dir=tmp_path)
    assert os.listdir(tmp_path / "mnist") == []


def test_real_files_download_and_verify_against_published_sums(server, monkeypatch, tmp_path,
                                                                 shared_data_dir):
    base, folder = server
    for name in data.FILES["test"]:
        shutil.copy(shared_data_dir / "mnist" / name, folder / name)
    monkeypatch.setitem(data.MIRRORS, "mnist", [base])
    _, y = data.load_mnist("test", data_dir=tmp_path / "home")
    assert np.bincount(y).tolist() == MNIST_TEST_COUNTS


def test_offline_error_names_every_file_and_the_env_var(monkeypatch, tmp_path):
    monkeypatch.setitem(data.MIRRORS, "fashion-mnist", [f"http://127.0.0.1:{_unused_port()}/"])
    home = tmp_path / "home"
    with pytest.raises(data.DataUnavailableError) as info:
        data.load_fashion_mnist("train", data_dir=home)
    message = str(info.value)
    for name in data.FILES["train"] + data.FILES["test"]:
        assert str(home / "fashion-mnist" / name) in message
    assert data.ENV_VAR in message
    assert os.listdir(home / "fashion-mnist") == []


def test_no_download_when_disabled(monkeypatch, tmp_path):
    monkeypatch.setitem(data.MIRRORS, "mnist", [])
    with pytest.raises(data.DataUnavailableError, match="download=False") as info:
        data.load_mnist("test", data_dir=tmp_path, download=False)
    assert str(tmp_path / "mnist" / data.FILES["test"][0]) in str(info.value)
    assert not (tmp_path / "mnist").exists()


def test_read_only_folder_with_a_corrupt_file_gives_a_clear_error(monkeypatch, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / data.FILES["test"][0]).write_bytes(b"garbage")
    monkeypatch.setattr(data.os, "access", lambda path, mode: False)
    with pytest.raises(data.DataUnavailableError, match="corrupt.*not writable"):
        data.load_mnist("test", data_dir=tmp_path)
