"""Chapter 6 explorers and figures render, and their controls change the picture."""

import matplotlib
import numpy as np

matplotlib.use("Agg")

from cnn_course.models import lenet5                     # noqa: E402
from cnn_course.train import History                     # noqa: E402
from cnn_course.widgets import ch06_lenet as w           # noqa: E402


def _digits():
    rng = np.random.default_rng(0)
    x = np.zeros((2, 1, 28, 28), dtype=np.float32)
    x[0, 0, 6:22, 12:16] = 1.0
    x[1, 0, 12:16, 6:22] = rng.random((4, 16))
    return x, [1, 7]


def test_lenet_inspector_renders_and_every_control_changes_the_frame():
    x, labels = _digits()
    fig = w.lenet_inspector(lenet5("modern", seed=0), x, labels)
    base, caption = fig.render()
    assert "label 1" in caption and "predicted" in caption
    for change in ({"digit": 1}, {"shift": 3}, {"angle": 30}):
        assert fig.render(**change)[0] != base, change
    assert len(list(fig.frames())) <= 160


def test_training_curve_viewer_switches_run_and_metric():
    a = History([1.0, 0.5], [0.5, 0.8], [0.6, 0.9], [1.0, 1.0])
    b = History([2.0, 2.0], [0.1, 0.1], [0.1, 0.1], [1.0, 1.0])
    fig = w.training_curve_viewer({"a": a, "b": b})
    base, caption = fig.render()
    assert "a" in caption
    assert fig.render(run="b")[0] != base
    acc, cap = fig.render(metric="accuracy")
    assert acc != base and "0.9000" in cap


def test_static_figures_render():
    import matplotlib.pyplot as plt
    model = lenet5("modern", seed=0)
    x, labels = _digits()
    for fig in (w.plot_filters([model[0].params["W"]], ["w"]),
                w.plot_stage_maps(model, x[0]),
                w.plot_confusion(np.eye(10, dtype=int) * 5),
                w.plot_misclassified(x[:, 0], labels, [2, 3], [0.5, 0.6]),
                w.plot_curves({"a": History([1.0], [0.5], [0.5], [1.0])})):
        assert fig.axes
        plt.close(fig)


def test_mosaic_scales_each_channel_and_leaves_gaps():
    maps = np.stack([np.arange(4.0).reshape(2, 2), 10 * np.ones((2, 2))])
    m = w._mosaic(maps, gap=1)
    assert m.shape == (2, 5) and np.isnan(m[:, 2]).all()
    np.testing.assert_allclose(m[:, :2], np.arange(4.0).reshape(2, 2) / 3)
    assert (m[:, 3:] == 0).all()
