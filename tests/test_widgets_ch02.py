"""Chapter 2 explorers: the geometry they draw and the numbers they caption are right.

That they render, every control changes the picture and the book's frame counts:
tests/test_widgets_contract.py.
"""

import re

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics import receptive_field as rf
from cnn_course.topics.receptive_field import receptive_field
from cnn_course.widgets import ch02_padding_stride as w


@pytest.mark.parametrize("n,k,p,s,d", [(7, 3, 1, 2, 1), (8, 3, 0, 2, 1), (6, 1, 0, 3, 1),
                                       (9, 3, 0, 1, 2), (5, 4, 2, 3, 1)])
def test_window_geometry_matches_conv2d_reads(n, k, p, s, d):
    g = rf.window_geometry(n, k, p, s, d)
    x = np.zeros((1, 1, n, 1))
    y = F.conv2d(x, np.ones((1, 1, k, 1)), stride=(s, 1), padding=(p, 0), dilation=(d, 1))
    assert g["out"] == y.shape[2]
    # the pixels conv2d reads are those that receive gradient from an all-ones upstream
    dx = F.conv2d_backward(np.ones_like(y), x, np.ones((1, 1, k, 1)), stride=(s, 1),
                           padding=(p, 0), dilation=(d, 1))[0][0, 0, :, 0]
    assert [bool(v) for v in dx != 0] == g["read"][p:p + n]
    last_read = max(i for i, r in enumerate(g["read"]) if r)
    assert g["leftover"] == g["padded"] - 1 - last_read


def test_window_geometry_reports_a_kernel_that_does_not_fit():
    g = rf.window_geometry(3, 5, 0, 1)
    assert g["out"] == 0 and g["starts"] == [] and not any(g["read"])


def test_formula_caption_flags_a_stride_that_does_not_divide():
    fig = w.padding_stride_explorer()
    _, even = fig.render(size=7, kernel_size=3, padding=1, stride=2)
    _, odd = fig.render(size=8, kernel_size=3, padding=0, stride=2)
    _, none = fig.render(size=5, kernel_size=4, padding=0, stride=1, dilation=2)
    assert "→ output 4×4" in even and "= 4" in even and "does not divide" not in even
    assert "floor(5/2) + 1 = 3" in odd and "does not divide" in odd and "1 of them input" in odd
    assert "15 of the 64 input pixels are never read" in odd and "no input lost" not in odd
    assert "→ no output: the window spans 7" in none and "all 25 input pixels" in none


def _no_image(figure, dpi):
    return b""


def _frames(fig, live=False):
    """(values, caption, painted) for every precomputed frame (every live value if ``live``):
    painted counts the input cells the figure paints purple ("never read")."""
    import itertools

    names = list(fig.controls)
    pools = [fig.controls[n].values if live else fig.controls[n].static_values for n in names]
    for combo in itertools.product(*pools):
        values = dict(zip(names, combo))
        _, caption = fig.render(_encode=_no_image, **values)
        rgb = fig.draw.grid_in.image.get_array()[..., :3]
        painted = int(np.all(np.isclose(rgb, w.UNREAD_INPUT[:3]), axis=-1).sum())
        yield values, caption, painted


LOST = re.compile(r"(\d+) of the (\d+) input pixels are never read")


def _check_caption_against_painted(values, caption, painted):
    found = LOST.findall(caption)
    if "no output" in caption:              # no window fits: nothing is read
        n = values.get("size", 9)
        assert painted == n * n and f"all {n * n} input pixels are never read" in caption
    elif painted:
        assert [int(v) for v in found[0]][:1] == [painted] and len(found) == 1, (values, caption)
        assert "no input lost" not in caption, (values, caption)
    else:
        assert not found, (values, caption)


@pytest.mark.parametrize("kwargs", [
    {},                                                                   # section 2.4
    {"controls": ("padding", "dilation"), "size": 9, "kernel_size": 3,    # section 2.6
     "padding": 0, "stride": 1, "dilation": 2, "static": {"dilation": [1, 2, 3, 4]}}],
    ids=["2.4", "2.6"])
def test_caption_and_painted_pixels_agree_on_every_precomputed_frame(kwargs):
    fig = w.padding_stride_explorer(**kwargs)
    seen = {"skipped": 0, "no input lost": 0}
    for values, caption, painted in _frames(fig):
        _check_caption_against_painted(values, caption, painted)
        seen["skipped"] += "windows skip the pixels between them" in caption
        seen["no input lost"] += "no input lost" in caption
    if not kwargs:     # the frames the review found: stride larger than the kernel's span
        assert seen["skipped"] == 36 and seen["no input lost"] > 0


def test_caption_and_painted_pixels_agree_on_every_live_setting():
    fig = w.padding_stride_explorer()
    for values, caption, painted in _frames(fig, live=True):
        _check_caption_against_painted(values, caption, painted)
        n = values["size"]
        g = rf.window_geometry(n, values["kernel_size"], values["padding"], values["stride"],
                               values["dilation"])
        if g["out"]:
            counts = rf.window_counts(n, values["kernel_size"], values["padding"],
                                      values["stride"], values["dilation"])
            assert painted == int((counts == 0).sum()), values


def test_window_counts_are_the_input_gradient_of_an_all_ones_convolution():
    for n, k, p, s, d in [(8, 3, 0, 1, 1), (8, 3, 2, 1, 1), (8, 1, 1, 2, 1), (9, 3, 0, 2, 2)]:
        counts = rf.window_counts(n, k, p, s, d)
        x, K = np.zeros((1, 1, n, n)), np.ones((1, 1, k, k))
        y = F.conv2d(x, K, stride=s, padding=p, dilation=d)
        dx = F.conv2d_backward(np.ones_like(y), x, K, stride=s, padding=p, dilation=d)[0]
        assert np.array_equal(counts, dx[0, 0].astype(int))
        g = rf.window_geometry(n, k, p, s, d)
        read = np.array(g["read"][p:p + n])
        assert np.array_equal(counts > 0, read[:, None] & read[None, :])
        assert g["unread"] == [i for i in range(n) if not read[i]]


@pytest.mark.parametrize("stack", list(w.RF_STACKS)[1:])
def test_impulse_response_is_the_input_gradient(stack):
    specs = w.RF_STACKS[stack][:4]
    r, centre = rf.impulse_response(specs, 32)
    g, centre_g = rf.input_gradient_support(specs, 32)
    assert centre == centre_g and np.allclose(r, g, atol=1e-15)


def test_padding_stride_explorer_draws_the_padded_grid_and_the_output_grid():
    fig = w.padding_stride_explorer()
    fig.render(size=7, kernel_size=3, padding=1, stride=2)
    scene = fig.draw
    assert scene.grid_in.image.get_array().shape[:2] == (9, 9)        # 7 + 2 * 1
    assert scene.grid_out.image.get_array().shape[:2] == (4, 4)
    fig.render(size=5, kernel_size=4, padding=0, stride=1, dilation=2)     # no output
    assert not scene.grid_out.image.get_visible() and scene.none_text.get_visible()


def test_padding_stride_explorer_keeps_a_fixed_quantity_at_its_value():
    fig = w.padding_stride_explorer(controls=("padding", "dilation"), size=9, padding=0,
                                    stride=1, static={"dilation": [1, 2, 3, 4]})
    assert list(fig.controls) == ["padding", "dilation"]
    _, caption = fig.render(padding=1, dilation=2)
    assert "padded input 11×11 (input 9, padding 1)" in caption and "span d(k−1)+1" in caption


def test_window_stepper_fills_the_output_with_conv2d_values():
    X = np.arange(30).reshape(5, 6) % 7
    K = np.array([[1, 0], [0, -1]])
    fig = w.window_stepper(X, K, padding=1, stride=(2, 3))
    expected = F.conv2d(X[None, None].astype(float), K[None, None].astype(float),
                        stride=(2, 3), padding=1)[0, 0]
    OH, OW = expected.shape
    assert fig.controls["position"].values == list(range(OH * OW))
    _, caption = fig.render(position=OH * OW - 1)
    i, j = OH - 1, OW - 1
    assert f"output ({i}, {j})" in caption and f"= {expected[i, j]:g}" in caption
    written = [[t.get_text() for t in row] for row in fig.draw.output.texts]
    assert written == [[f"{v:g}" for v in row] for row in expected]
    fig.render(position=1)                       # only the first two outputs are written
    written = [t.get_text() for t in fig.draw.output.texts.flat]
    assert written[:2] == [f"{v:g}" for v in expected.flat][:2] and not any(written[2:])


@pytest.mark.parametrize("stack", list(w.RF_STACKS))
def test_gradient_support_has_the_predicted_receptive_field(stack):
    specs = w.RF_STACKS[stack]
    for depth in range(1, len(specs) + 1):
        g, _ = rf.input_gradient_support(specs[:depth], 40)
        rows = np.flatnonzero(g.any(axis=1))
        assert rows[-1] - rows[0] + 1 == receptive_field(specs[:depth])[-1].size


def test_receptive_field_explorer_captions_both_numbers():
    fig = w.receptive_field_explorer()
    _, caption = fig.render(stack="3x3 convs", depth=3)
    assert "says 7×7" in caption and "reaches 7×7" in caption

