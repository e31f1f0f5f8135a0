"""The contract every figure of the book keeps, checked the same way for all of them.

``EXPLORERS`` lists every interactive figure as a chapter builds it (the notebook's call, with
small synthetic digits in place of MNIST) and the number of frames the book precomputes for
it. Each explorer
- renders its live view (an ipywidgets box showing a PNG) and its static player (one frame per
  combination of the controls' static values: ``n_frames`` of them, the declared number);
- changes its picture when any one control moves, in the live view and in the static player.

``STATIC_FIGURES`` lists every static figure: it returns a matplotlib Figure without calling
``plt.show()`` (the notebook cell does), with the expected number of axes, and what it draws
comes from its input.

A new explorer or static figure is registered here (README, "Add a widget");
``test_every_figure_of_the_widget_modules_is_registered`` fails until it is.
"""

import base64
import inspect
import json
import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnn_course.models import lenet5  # noqa: E402
from cnn_course.topics import kernels  # noqa: E402
from cnn_course.topics.images import rgb_shapes  # noqa: E402
from cnn_course.topics.inspect_model import feature_maps  # noqa: E402
from cnn_course.topics.receptive_field import receptive_field  # noqa: E402
from cnn_course.train import History  # noqa: E402
from cnn_course.widgets import ch01_convolution as ch1  # noqa: E402
from cnn_course.widgets import ch02_padding_stride as ch2  # noqa: E402
from cnn_course.widgets import ch03_channels as ch3  # noqa: E402
from cnn_course.widgets import ch04_pooling as ch4  # noqa: E402
from cnn_course.widgets import ch05_implementation as ch5  # noqa: E402
from cnn_course.widgets import ch06_lenet as ch6  # noqa: E402
from cnn_course.widgets import draw  # noqa: E402
from cnn_course.widgets.core import InteractiveFigure, Scene  # noqa: E402

CHAPTER_MODULES = [ch1, ch2, ch3, ch4, ch5, ch6]
PNG = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- synthetic inputs

def _digits():
    """Three synthetic 28x28 "digits" (a 1, a 7 and a 0) of shape (3, 1, 28, 28), labels."""
    x = np.zeros((3, 1, 28, 28), dtype=np.float32)
    x[0, 0, 5:23, 12:16] = 1.0                                   # 1: a vertical bar
    x[1, 0, 5:9, 7:21] = 1.0                                     # 7: a bar and a stem
    x[1, 0, 9:23, 16:20] = 1.0
    r, c = np.indices((28, 28))
    x[2, 0] = (np.abs(np.hypot(r - 14, (c - 14) * 1.4) - 8) < 2).astype(np.float32)   # 0
    return x, np.array([1, 7, 0])


DIGITS, LABELS = _digits()
X5 = np.array([[1, 2, 0, 1, 3],
               [0, 1, 3, 2, 1],
               [2, 0, 1, 0, 2],
               [1, 3, 2, 1, 0],
               [0, 1, 0, 2, 1]], dtype=float)
SOBEL = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)


def _history(scale):
    h = History()
    for epoch in range(3):
        h.train_loss.append(scale / (epoch + 1))
        h.train_acc.append(1 - scale / (epoch + 3))
        h.test_acc.append(1 - scale / (epoch + 4))
        h.seconds.append(1.0)
    return h


# The chapter 6 notebook's five runs.
RUNS = {name: _history(0.3 + 0.2 * k) for k, name in enumerate(
    ["lenet-modern, MNIST 10k", "lenet-classic, MNIST 5k", "lenet-modern, MNIST 5k",
     "dense, MNIST 5k", "lenet-modern, Fashion-MNIST 10k"])}


# --------------------------------------------------------------------------- the explorers

def _explorer(function, n_frames, *args, **kwargs):
    """One registered explorer: the call a chapter makes, and its declared number of frames."""
    return pytest.param((function, args, kwargs, n_frames),
                        id=f"{function.__module__.rsplit('.', 1)[-1][:4]}-{function.__name__}")


EXPLORERS = [
    # book/01_dense_to_conv.ipynb
    _explorer(ch1.sliding_window_explorer, 9, X5, SOBEL, bias=1),
    _explorer(ch1.kernel_explorer, 7 * 8 * 2, DIGITS[:3, 0], [f"digit {d}" for d in LABELS]),
    # book/02_padding_stride.ipynb
    _explorer(ch2.window_stepper, 9, np.random.default_rng(0).integers(0, 10, size=(7, 7)),
              np.array([[1, 0, -1]] * 3), padding=0, stride=2),
    _explorer(ch2.window_stepper, 4 * 3, np.random.default_rng(1).integers(0, 10, size=(4, 6)),
              np.ones((3, 3), dtype=int), padding=1, stride=(1, 2)),
    _explorer(ch2.padding_stride_explorer, 4 * 4 * 3 * 3 * 1),
    _explorer(ch2.padding_stride_explorer, 3 * 4, controls=("padding", "dilation"), size=9,
              kernel_size=3, padding=0, stride=1, dilation=2, static={"dilation": [1, 2, 3, 4]}),
    _explorer(ch2.receptive_field_explorer, 3 * 6),
    # book/03_channels.ipynb
    _explorer(ch3.block_explorer, 3 * 4 * 2),
    _explorer(ch3.channel_explorer, 3 * 2 ** 3, rgb_shapes()),
    # book/04_pooling.ipynb
    _explorer(ch4.pooling_explorer, 2 * 3 * 2 * 4, DIGITS[1, 0]),
    _explorer(ch4.pool_backward_explorer, 2 * 2 * 10),
    # book/05_implementing_conv.ipynb
    _explorer(ch5.im2col_explorer, 16, np.arange(32.0).reshape(1, 2, 4, 4), FH=3, FW=3,
              stride=1, pad=1),
    _explorer(ch5.gradient_flow_explorer, 7 * 3, L=7, K=3, pads=(0, 1, 2)),
    # book/06_lenet.ipynb (an untrained LeNet draws the same panels as a trained one)
    _explorer(ch6.training_curve_viewer, 5 * 2, RUNS),
    _explorer(ch6.lenet_inspector, 3 * 5 * 5, lenet5("modern", seed=0), DIGITS[:3], LABELS[:3]),
]


@pytest.fixture(scope="module", params=EXPLORERS)
def explorer(request):
    function, args, kwargs, n_frames = request.param
    return function(*args, **kwargs), n_frames


def _other_value(control, pool):
    """A value of ``control`` other than its default, from ``pool`` if it has one."""
    others = [v for v in pool if v != control.value] or \
        [v for v in control.values if v != control.value]
    return others[0]


def _move(widget, control, value):
    """Set a live control (index-valued if it has options, like the framework's)."""
    widget.value = control.values.index(value) if hasattr(widget, "options") else value


def test_explorer_live_view_renders_and_every_control_changes_the_picture(explorer):
    fig, _ = explorer
    assert isinstance(fig, InteractiveFigure)
    box = fig.widget()
    controls, image, caption = box.children
    assert isinstance(image, ipywidgets.Image) and bytes(image.value).startswith(PNG)
    assert len(controls.children) == len(fig.controls)
    default = bytes(image.value)
    for (name, control), widget in zip(fig.controls.items(), controls.children):
        _move(widget, control, _other_value(control, control.static_values))
        assert bytes(image.value) != default, f"moving {name!r} left the picture unchanged"
        _move(widget, control, control.value)
        assert bytes(image.value) == default, f"{name!r} back at its default: another picture"


def _payload(html):
    return json.loads(re.search(r'class="cnn-widget-data">(.*?)</script>', html, re.S).group(1))


def test_explorer_static_player_has_the_declared_frames_and_every_control_changes_them(explorer):
    fig, n_frames = explorer
    assert fig.n_frames == n_frames
    html = fig.static_html()
    data = _payload(html)
    assert len(data["index"]) == len(data["captions"]) == n_frames
    first = re.search(r'<img class="cnn-widget-frame" alt="[^"]+" [^>]*src="data:image/webp;base64,'
                      r'([^"]+)"', html)
    frame = base64.b64decode(first.group(1))
    assert frame[:4] == b"RIFF" and frame[8:12] == b"WEBP"       # lossless WebP frames
    default = [c.static_values.index(c.value) for c in fig.controls.values()]
    for k, (name, control) in enumerate(fig.controls.items()):
        if len(control.static_values) == 1:
            continue                        # the book keeps this control at one value
        moved = list(default)
        moved[k] = control.static_values.index(_other_value(control, control.static_values))
        frame = data["index"]["|".join(map(str, moved))][0]
        assert frame != data["index"]["|".join(map(str, default))][0], \
            f"the book's frames do not change with {name!r}"


# --------------------------------------------------------------------------- static figures

def _image(ax):
    return np.asarray(ax.images[0].get_array())


def _numbers(ax):
    return [t.get_text() for t in ax.texts if t.get_text()]


def _check_plot_images(fig):
    A = np.arange(12.0).reshape(3, 4) - 5
    np.testing.assert_array_equal(_image(fig.axes[1]), -A)
    assert [ax.get_title() for ax in fig.axes] == ["a", "minus a"]


def _check_feature_maps(fig):
    image = DIGITS[2, 0].astype(np.float64)
    expected = kernels.apply_kernel(image, kernels.get_kernel("horizontal edge"))
    np.testing.assert_allclose(_image(fig.axes[2]), expected)


def _windows_reading(n, k, p):
    """How many windows (stride 1) read each pixel of a length-n input: a plain count."""
    return np.array([sum(1 for s in range(n + 2 * p - k + 1) if s <= i + p < s + k)
                     for i in range(n)])


def _check_coverage(fig):
    for ax, p in zip(fig.axes, (0, 1)):
        line = _windows_reading(6, 3, p)
        expected = np.outer(line, line)
        np.testing.assert_array_equal(_image(ax), expected)
        assert _numbers(ax) == [str(v) for v in expected.ravel()]


def _check_rf_growth(fig):
    for line, specs in zip(fig.axes[0].lines, ch2.RF_STACKS.values()):
        assert list(line.get_ydata()) == [r.size for r in receptive_field(specs)]


def _check_channels(fig):
    np.testing.assert_array_equal(_image(fig.axes[3]), rgb_shapes()[2])


X4 = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4)


def _check_4d_array(fig):
    top, bottom = fig.axes
    front = sorted(int(t) for t in _numbers(top) if t.isdigit())
    assert front == sorted(X4[:, 0].ravel())          # the numbers of each front plane x[n, 0]
    assert _numbers(bottom) == [str(v) for v in X4.transpose(0, 2, 3, 1)[0].ravel()]


MODEL = lenet5("modern", seed=0)


def _check_filters(fig):
    W = MODEL[0].params["W"]
    for c, ax in enumerate(fig.axes[:6]):
        np.testing.assert_array_equal(_image(ax), W[c, 0])


def _check_stage_maps(fig):
    maps = feature_maps(MODEL, DIGITS[:1])
    axes = np.array(fig.axes).reshape(4, 7)
    np.testing.assert_allclose(_image(axes[0, 1]), maps[1][1][0, 0])    # conv1 + ReLU, channel 0
    np.testing.assert_allclose(_image(axes[3, 6]), maps[5][1][0, 5])    # pool2, channel 5
    assert axes[1, 1].get_ylabel().startswith("pool1")


CONFUSION = np.array([[5, 1, 0], [0, 7, 2], [3, 0, 9]])


def _check_confusion(fig):
    assert _numbers(fig.axes[0]) == ["5", "1", "7", "2", "3", "9"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]


def _check_misclassified(fig):
    assert fig.axes[0].get_title() == "1 -> 2\n(0.50)"
    assert fig.axes[1].get_title() == "7 -> 3\n(0.60)"
    np.testing.assert_array_equal(_image(fig.axes[1]), DIGITS[1, 0])
    assert not fig.axes[2].images


def _check_curves(fig):
    for line, h in zip(fig.axes[0].lines, RUNS.values()):
        assert list(line.get_ydata()) == h.test_acc


def _check_history(fig):
    h = RUNS["lenet-modern, MNIST 10k"]
    loss, acc = fig.axes
    assert list(loss.lines[0].get_ydata()) == h.train_loss
    assert [list(line.get_ydata()) for line in acc.lines] == [h.train_acc, h.test_acc]
    assert list(loss.lines[0].get_xdata()) == [1, 2, 3]


def _static(function, n_axes, check, *args, **kwargs):
    return pytest.param(function, args, kwargs, n_axes, check,
                        id=f"{function.__module__.rsplit('.', 1)[-1][:4]}-{function.__name__}")


def _check_polyphase(fig):
    left = fig.axes[0]
    cells = [im for im in left.get_images()][0].get_array()
    assert cells.shape[:2] == (6, 6)                   # the size asked for
    texts = [t.get_text() for t in left.texts]
    assert texts[:6] == ["0", "1", "0", "1", "0", "1"] and texts[6:8] == ["2", "3"]
    assert len([p for p in left.patches]) == 9          # 3x3 pooling windows
    # the four phase colours differ
    assert len({tuple(np.round(c, 3)) for c in cells.reshape(-1, cells.shape[-1])}) == 4


A = np.arange(12.0).reshape(3, 4) - 5
STATIC_FIGURES = [
    _static(ch5.plot_polyphase, 2, _check_polyphase, size=6),
    _static(draw.plot_images, 2, _check_plot_images, [A, -A], ["a", "minus a"], symmetric=True),
    _static(ch1.plot_feature_maps, 3, _check_feature_maps, DIGITS[2, 0].astype(np.float64),
            ["vertical edge", "horizontal edge"]),
    _static(ch2.plot_coverage, 2, _check_coverage, size=6, kernel_size=3, paddings=(0, 1)),
    _static(ch2.plot_receptive_field_growth, 1, _check_rf_growth),
    _static(ch3.plot_channels, 4, _check_channels, rgb_shapes()),
    _static(ch5.plot_4d_array, 2, _check_4d_array, X4),
    _static(ch6.plot_filters, 2 * 6, _check_filters,
            [MODEL[0].params["W"], 2 * MODEL[0].params["W"]], ["before", "after"]),
    _static(ch6.plot_stage_maps, 4 * 7, _check_stage_maps, MODEL, DIGITS[0], channels=6),
    _static(ch6.plot_confusion, 1, _check_confusion, CONFUSION, ["a", "b", "c"]),
    _static(ch6.plot_misclassified, 8, _check_misclassified, DIGITS[:2, 0], [1, 7], [2, 3],
            [0.5, 0.6]),
    _static(ch6.plot_curves, 1, _check_curves, RUNS),
    _static(ch6.plot_history, 2, _check_history, RUNS["lenet-modern, MNIST 10k"]),
]


@pytest.mark.parametrize("function,args,kwargs,n_axes,check", STATIC_FIGURES)
def test_static_figure_returns_a_figure_of_its_input_and_leaves_showing_to_the_cell(
        monkeypatch, function, args, kwargs, n_axes, check):
    def no_show(*_args, **_kwargs):
        raise AssertionError(f"{function.__name__} calls plt.show(); the notebook cell does")

    monkeypatch.setattr(plt, "show", no_show)
    fig = function(*args, **kwargs)
    try:
        assert isinstance(fig, Figure)
        assert len(fig.axes) == n_axes
        check(fig)
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- the registry

def test_every_figure_of_the_widget_modules_is_registered():
    """Explorers (``*_explorer``, ``*_stepper``, ``*_inspector``, ``*_viewer``) and static
    figures (``plot_*``) of every chapter module are in EXPLORERS / STATIC_FIGURES."""
    registered = {p.values[0][0] for p in EXPLORERS} | {p.values[0] for p in STATIC_FIGURES}
    suffixes = ("_explorer", "_stepper", "_inspector", "_viewer")
    for module in CHAPTER_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and (name.endswith(suffixes) or name.startswith("plot_")):
                assert obj in registered, f"{module.__name__}.{name} is not in the contract test"


@pytest.mark.parametrize("module", CHAPTER_MODULES, ids=lambda m: m.__name__.rsplit(".")[-1])
def test_widget_module_declares_all_and_keeps_its_scenes_private(module):
    assert all(hasattr(module, name) for name in module.__all__)
    scenes = [name for name, obj in vars(module).items()
              if inspect.isclass(obj) and issubclass(obj, Scene) and obj is not Scene]
    assert scenes and all(name.startswith("_") for name in scenes), scenes
