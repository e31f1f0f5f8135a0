"""The shared drawing kit (cnn_course.widgets.draw): numbers, grids, rasters, titles, panels."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnn_course.widgets.draw import (grid_segments, number_grid, number_raster,  # noqa: E402
                                     number_text, panel_off, panel_title, plot_images)


def _axes(figsize=(3, 3)):
    fig = Figure(figsize=figsize, dpi=50)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


@pytest.mark.parametrize("value,text", [(2.0, "2"), (-0.0, "0"), (-3, "-3"), (0.25, "0.25"),
                                        (1 / 9, "0.11"), (-2.5, "-2.5"), (12345678.0, "1.2e+07"),
                                        (np.float32(4.0), "4"), (np.nan, "")])
def test_number_text_is_short_and_never_minus_zero(value, text):
    assert number_text(value) == text


def test_number_text_digits():
    assert number_text(1 / 9, digits=3) == "0.111" and number_text(4.25, digits=3) == "4.25"


def test_number_grid_writes_each_number_at_its_cell_centre_like_imshow():
    values = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 7.0]])
    _, ax = _axes()
    grid = number_grid(ax, values)
    assert grid.image.get_extent() == [-0.5, 2.5, 1.5, -0.5]          # imshow's own extent
    assert ax.get_xlim() == (-0.5, 2.5) and ax.get_ylim() == (1.5, -0.5)
    assert [t.get_text() for t in grid.texts.flat] == ["1", "-2", "0.5", "3", "0", "7"]
    assert grid.texts[1, 2].get_position() == (2.0, 1.0)
    assert len(grid.lines.get_segments()) == (2 + 1) + (3 + 1)
    assert set(grid.artists) == {grid.image, grid.lines, *grid.texts.flat}


def test_number_grid_origin_moves_the_top_left_corner():
    _, ax = _axes()
    grid = number_grid(ax, np.zeros((2, 2)), origin=(3, 1), fit=False)
    assert grid.image.get_extent() == [3, 5, 3, 1]
    assert grid.texts[0, 1].get_position() == (4.5, 1.5)
    assert grid_segments(1, 1, (3, 1)) == [[(3, 1), (4, 1)], [(3, 2), (4, 2)],
                                          [(3, 1), (3, 2)], [(4, 1), (4, 2)]]


def test_number_grid_colours_and_text_colours():
    _, ax = _axes()
    grid = number_grid(ax, np.zeros((2, 3)), colors="C1", fmt=None, line_color=None)
    rgba = grid.image.get_array()
    assert rgba.shape == (2, 3, 4) and (rgba == rgba[0, 0]).all()
    assert grid.texts is None and grid.lines is None
    grid = number_grid(ax, np.array([[0.0, 1.0]]), cmap="Greys", vmin=0, vmax=1,
                       text_color="auto")
    assert [t.get_color() for t in grid.texts.flat] == ["black", "white"]   # white on black
    grid = number_grid(ax, np.eye(2), text_color=np.array([["red", "blue"], ["k", "k"]]))
    assert grid.texts[0, 1].get_color() == "blue"
    with pytest.raises(ValueError, match="colors must be one colour or an array"):
        number_grid(ax, np.zeros((2, 2)), colors=np.zeros((3, 3, 3)))


def test_cell_grid_updates_in_place_and_follows_a_new_shape():
    _, ax = _axes()
    grid = number_grid(ax, np.ones((2, 2)), numbers=np.full((2, 2), np.nan))
    assert not any(t.get_text() for t in grid.texts.flat)               # NaN: blank cells
    grid.set_values(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert [t.get_text() for t in grid.texts.flat] == ["1", "2", "3", "4"]
    grid.set_numbers(np.array([[np.nan, 5.0], [np.nan, np.nan]]))
    assert [t.get_text() for t in grid.texts.flat] == ["", "5", "", ""]
    with pytest.raises(ValueError, match=r"has \(2, 2\) cells"):
        grid.set_numbers(np.zeros(3))
    pixels = number_grid(ax, np.zeros((2, 2)), fmt=None)
    pixels.set_values(np.zeros((4, 5)))
    assert pixels.image.get_extent() == [-0.5, 4.5, 3.5, -0.5]
    assert ax.get_xlim() == (-0.5, 4.5) and len(pixels.lines.get_segments()) == 5 + 6
    coloured = number_grid(ax, np.zeros((1, 1)), colors="w", fmt=None, origin=(0, 0))
    coloured.set_colors(np.zeros((3, 2, 3)))
    assert coloured.image.get_extent() == [0, 2, 3, 0]


def test_number_raster_draws_the_grid_into_pixels():
    raster = number_raster(np.array([[0.0, 9.0]]), cell_px=20, dpi=40, cmap="Greys",
                           vmin=0, vmax=9, fmt=None)
    assert raster.shape == (20, 40, 4) and raster.dtype == np.uint8
    assert raster[10, 5, 0] > 200 and raster[10, 35, 0] < 60           # white cell, black cell
    with_numbers = number_raster(np.array([[0.0, 9.0]]), cell_px=20, dpi=40, cmap="Greys",
                                 vmin=0, vmax=9)
    assert (with_numbers[:, :20, 0] < 200).any()                        # the "0" is written


def test_panel_title_sits_above_the_axes():
    fig, ax = _axes()
    box = ax.get_position()
    title = panel_title(fig, ax, "hello")
    assert title.get_position() == pytest.approx(((box.x0 + box.x1) / 2, box.y1 + 0.008))
    assert title.get_va() == "bottom" and title.get_text() == "hello"
    left = panel_title(fig, ax, "row", ha="left", y=0.97)
    assert left.get_position() == pytest.approx((box.x0, 0.97)) and left.get_va() == "top"
    assert title in fig.texts


def test_panel_off_hides_ticks_with_or_without_a_frame():
    _, ax = _axes()
    panel_off(ax, frame=True)
    assert ax.axison and not ax.get_xticks().size and not ax.get_yticks().size
    assert all(s.get_edgecolor()[:3] == pytest.approx((0.7, 0.7, 0.7)) for s in ax.spines.values())
    panel_off(ax)
    assert not ax.axison


def test_plot_images_draws_each_image_at_the_same_pixel_scale():
    small, large = np.eye(3), np.arange(12.0).reshape(2, 6)
    fig = plot_images([small, large], ["small", "large"], cmap="gray")
    try:
        gridspec = fig.axes[0].get_subplotspec().get_gridspec()
        assert list(gridspec.get_width_ratios()) == [3, 6]
        np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), large)
        assert fig.axes[0].get_title() == "small" and not fig.axes[0].axison
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="2 images but 1 titles"):
        plot_images([small, large], ["one"])
    with pytest.raises(ValueError, match=r"must be 2-D \(H, W\)"):
        plot_images([np.zeros((1, 3, 3))], ["x"])
