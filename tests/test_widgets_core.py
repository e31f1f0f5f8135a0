"""The interactive-figure framework: one object, a live widget and a precomputed player."""

import io
import json
import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from cnn_course.widgets import Checkbox, Dropdown, InteractiveFigure, Scene, Slider
from cnn_course.widgets.core import figure_png, freeze_background


def _draw(fig, shift, cmap):
    ax = fig.add_subplot()
    ax.imshow(np.roll(np.eye(6), shift, axis=1), cmap=cmap)
    ax.set_axis_off()
    return f"shift = {shift}"


def _figure(**kw):
    return InteractiveFigure(_draw, {"shift": Slider(range(6), description="shift"),
                                     "cmap": Dropdown({"gray": "gray", "magma": "magma"})},
                             title="demo", figsize=(2, 2), **kw)


def _payload(html):
    return json.loads(re.search(r'class="cnn-widget-data">(.*?)</script>', html, re.S).group(1))


def test_bundle_has_live_static_and_fixed_text_parts():
    bundle = _figure()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == ("Interactive figure: demo | controls: shift (6 values), "
                                    "cmap (2 values)")
    # its picture is an image in a colour map: on a dark page it keeps its colours
    assert bundle["text/html"].startswith('<div class="cnn-widget cnn-keep-colours">')


def test_only_figures_whose_colours_carry_values_keep_their_colours_on_a_dark_page():
    def line(fig, shift):
        fig.add_subplot().plot([0, shift])

    plain = InteractiveFigure(line, {"shift": Slider(range(3), description="shift")},
                              title="a line", figsize=(2, 2))
    assert plain.static_html().startswith('<div class="cnn-widget">')
    assert 'cnn-keep-colours' in _figure().static_html().split(">", 1)[0]


def test_static_player_has_a_frame_for_every_combination():
    data = _payload(_figure().static_html())
    assert sorted(data["index"]) == sorted(f"{i}|{j}" for i in range(6) for j in range(2))
    assert len(set(data["images"])) == len(data["images"]) == 12
    assert data["captions"][data["index"]["4|1"][1]] == "shift = 4"


def test_static_values_thin_the_grid_and_keep_the_default():
    fig = InteractiveFigure(_draw, {"shift": Slider(range(6), value=3, static_values=[0, 2, 4]),
                                    "cmap": Dropdown(["gray"])}, title="t", figsize=(2, 2))
    html = fig.static_html()
    assert sorted(_payload(html)["index"]) == ["0|0", "1|0", "2|0", "3|0"]
    assert 'max="3" step="1" value="2"' in html  # 3 is the third of [0, 2, 3, 4]


def test_identical_frames_are_stored_once():
    fig = InteractiveFigure(lambda fig, flag: fig.add_subplot().plot([0, 1]),
                            {"flag": Checkbox()}, title="t", figsize=(2, 2))
    data = _payload(fig.static_html())
    assert len(data["images"]) == 1 and len(data["index"]) == 2


def test_live_widget_redraws_in_place_when_a_control_moves():
    box = _figure().widget()
    controls, image, caption = box.children
    before = image.value
    controls.children[0].value = 4
    assert image.value != before and "shift = 4" in caption.value
    controls.children[1].value = 1  # magma
    assert len(box.children) == 3  # no stacking figures


def test_scene_is_set_up_once_and_updated():
    class Counter(Scene):
        def __init__(self):
            self.setups = 0

        def setup(self, fig):
            self.setups += 1
            self.im = fig.add_subplot().imshow(np.zeros((3, 3)), vmin=0, vmax=5)

        def update(self, k):
            self.im.set_data(np.full((3, 3), k))
            return f"k={k}"

    scene = Counter()
    fig = InteractiveFigure(scene, {"k": Slider(range(5))}, title="scene", figsize=(2, 2))
    pngs = {fig.render(k=k)[0] for k in range(5)}
    assert scene.setups == 1 and len(pngs) == 5


def test_too_many_frames_is_a_clear_error():
    with pytest.raises(ValueError, match="precomputed frames exceed MAX_FRAMES"):
        InteractiveFigure(_draw, {"shift": Slider(range(100)), "cmap": Dropdown(list("abc"))},
                          title="big")


def test_bad_controls_are_clear_errors():
    with pytest.raises(ValueError, match="not one of the values"):
        Slider(range(3), value=7)
    with pytest.raises(ValueError, match="static_values"):
        Slider(range(3), static_values=[5])
    with pytest.raises(ValueError, match="unknown controls"):
        _figure().render(nope=1)


class _Dashboard(Scene):
    """Static numbers, title, ticks and a legend; an image, a marker and a text that move."""

    def __init__(self, freeze):
        self.freeze = freeze

    def setup(self, fig):
        ax_grid, ax_plot, ax_image = fig.subplots(1, 3)
        ax_grid.imshow(np.arange(16.0).reshape(4, 4), cmap="Greys")
        for (r, c), v in np.ndenumerate(np.arange(16).reshape(4, 4)):
            ax_grid.text(c, r, str(v), ha="center", va="center", fontsize=7)
        ax_grid.set_title("fixed numbers")
        self.marker, = ax_grid.plot([0], [0], "s", ms=12, mfc="none", mec="C1")
        ax_plot.plot(np.arange(5), np.arange(5) ** 2, label="fixed curve")
        ax_plot.legend(fontsize=7, loc="upper left")
        self.image = ax_image.imshow(np.zeros((2, 2)), vmin=0, vmax=4)
        ax_image.set_title("moving image")
        ax_image.set_axis_off()           # its frame would lie above the image: see the rules
        self.note = fig.text(0.5, 0.02, "", ha="center")
        fig.text(0.02, 0.95, "a fixed figure label")
        if self.freeze:
            freeze_background(fig, [self.marker, self.image, self.note], dpi=60)

    def update(self, k):
        self.marker.set_data([k % 4], [k // 4])
        self.image.set_data(np.full((2, 2), k % 5))
        self.note.set_text(f"k = {k}")


def _dashboard_frames(freeze, ks):
    fig = Figure(figsize=(4, 2), dpi=60)
    FigureCanvasAgg(fig)
    scene = _Dashboard(freeze)
    scene.setup(fig)
    frames = []
    for k in ks:
        scene.update(k)
        frames.append(figure_png(fig, 60, colors=None))
    return fig, frames


def test_frozen_background_renders_the_same_pixels_as_a_full_redraw():
    ks = [0, 5, 11, 3]
    _, full = _dashboard_frames(False, ks)
    _, frozen = _dashboard_frames(True, ks)
    assert len(set(full)) == len(ks)                     # every k changes the picture
    for k, a, b in zip(ks, full, frozen):
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(a))),
                                      np.asarray(Image.open(io.BytesIO(b))), err_msg=f"k={k}")


def test_frozen_background_hides_the_static_artists_and_keeps_the_dynamic_ones():
    fig, _ = _dashboard_frames(True, [1])
    texts = [t for ax in fig.axes for t in ax.texts] + list(fig.texts)
    visible = [t.get_text() for t in texts if t.get_visible()]
    assert visible == ["k = 1"]                          # only the dynamic text is drawn again
    assert [type(a).__name__ for a in fig.artists] == ["FrozenBackground"]


def test_frozen_background_refuses_another_pixel_size():
    fig, _ = _dashboard_frames(True, [0])
    with pytest.raises(ValueError, match="rendered at 240x120 px but the figure is drawn at"):
        figure_png(fig, 120)


def test_frozen_background_names_an_artist_it_cannot_find():
    fig = Figure(figsize=(2, 2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    other = Figure().add_subplot().plot([0, 1])[0]
    with pytest.raises(ValueError, match="neither a figure-level artist nor a direct child"):
        freeze_background(fig, [other], dpi=50)
