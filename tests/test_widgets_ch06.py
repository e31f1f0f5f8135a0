"""Chapter 6 explorers: captions and the stages they show.

That they render and every control changes the picture, and the static figures: see
tests/test_widgets_contract.py.
"""

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


def test_lenet_inspector_captions_the_label_and_the_prediction():
    from cnn_course.topics.inspect_model import predict_proba, transform_digit

    x, labels = _digits()
    model = lenet5("modern", seed=0)
    fig = w.lenet_inspector(model, x, labels)
    _, caption = fig.render(digit=1, shift=3, angle=30)
    moved = transform_digit(x[1, 0], shift=(0, 3), angle=30)
    probs = predict_proba(model, moved[None, None])[0]
    assert caption.startswith("label 7, shifted +3 px, rotated +30 deg: predicted "
                              f"{probs.argmax()} with probability {probs.max():.2f}")


def test_lenet_stages_are_the_activations_after_convs_and_the_pools():
    assert w.lenet_stages(lenet5("modern")) == [
        (1, "conv1 + ReLU"), (2, "pool1: MaxPool2D 2x2"),
        (4, "conv2 + ReLU"), (5, "pool2: MaxPool2D 2x2")]
    assert [i for i, _ in w.lenet_stages(lenet5("classic"))] == [1, 2, 4, 5]


def test_training_curve_viewer_captions_the_last_value_of_the_run():
    a = History([1.0, 0.5], [0.5, 0.8], [0.6, 0.9], [1.0, 1.0])
    b = History([2.0, 2.0], [0.1, 0.1], [0.1, 0.1], [1.0, 1.0])
    fig = w.training_curve_viewer({"a": a, "b": b})
    assert fig.render()[1] == "a: last training loss 0.5000"
    assert fig.render(run="b", metric="accuracy")[1] == "b: last test accuracy 0.1000"


def test_training_curve_viewer_keeps_a_flat_loss_curve_inside_its_box():
    """A run that does not learn (LeNet-classic's loss stays at ln 10) drew its line on the
    top edge of the axes, half cut off."""
    flat = History([2.3026, 2.3025, 2.3026], [0.1] * 3, [0.1] * 3, [1.0] * 3)
    fig = w.training_curve_viewer({"flat": flat})
    fig.render(run="flat", metric="loss")
    ax = fig.figure.axes[0]
    bottom, top = ax.get_ylim()
    assert bottom == 0 and top >= 1.05 * max(flat.train_loss)


def test_mosaic_scales_each_channel_and_leaves_gaps():
    maps = np.stack([np.arange(4.0).reshape(2, 2), 10 * np.ones((2, 2))])
    m = w._mosaic(maps, gap=1)
    assert m.shape == (2, 5) and np.isnan(m[:, 2]).all()
    np.testing.assert_allclose(m[:, :2], np.arange(4.0).reshape(2, 2) / 3)
    assert (m[:, 3:] == 0).all()
