"""The course's figure style (cnn_course.widgets.style) holds for every figure of the book.

- Text size: the smallest text of each registered explorer and static figure
  (tests/test_widgets_contract.py) is at least 10 CSS px where the book shows it on a 1280 px
  desktop and at least 8 CSS px on a 390 px phone: font pt * CSS_DPI / 72 * displayed width /
  CSS width, the displayed width being the CSS width shrunk to the text column (never below
  PHONE_MIN_SCALE of it: the figure scrolls instead).
- Sharpness: explorers and static figures are drawn at SCALE x and declare their CSS size.
- Descriptions: every static figure has its own alt text (not the fallback, not a path), which
  travels inside its PNG; every frame's alt text says what the controls select; every slider
  has a value in words.
"""

import io
import re
from html import unescape
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from cnn_course.widgets import style  # noqa: E402
from cnn_course.widgets.core import Slider  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from test_widgets_contract import EXPLORERS, STATIC_FIGURES  # noqa: E402

DESKTOP, PHONE = 10.0, 8.0        # smallest text allowed, CSS px


@pytest.fixture(scope="module", params=EXPLORERS)
def explorer(request):
    function, args, kwargs, _ = request.param
    fig = function(*args, **kwargs)
    fig.render()                   # sets the scene up: every text exists
    fig.html = fig.static_html()   # every frame: once per explorer
    return fig


def test_explorer_text_is_readable_on_desktop_and_phone(explorer):
    smallest = style.smallest_text(explorer.figure)
    width, _ = explorer.css_size
    desktop = style.text_px(smallest, width, 1280, in_widget=True)
    phone = style.text_px(smallest, width, 390, in_widget=True)
    assert desktop >= DESKTOP, (f"{explorer.title!r}: {smallest} pt text in a {width} px wide "
                                f"figure is {desktop:.1f} px on a 1280 px desktop")
    assert phone >= PHONE, f"{explorer.title!r}: {phone:.1f} px on a 390 px phone"


def test_explorer_is_drawn_at_twice_its_css_size(explorer):
    png, _ = explorer.render()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == tuple(style.SCALE * v for v in explorer.css_size)
    width, height = explorer.css_size
    assert f'width="{width}" height="{height}"' in explorer.html


def test_explorer_frames_say_what_the_controls_select(explorer):
    html = explorer.html
    alt = unescape(re.search(r'<img class="cnn-widget-frame" alt="([^"]+)"', html).group(1))
    assert alt.startswith(explorer.title), (alt, explorer.title)
    for name, control in explorer.controls.items():
        assert control.text_of(control.value, name) in alt
    for name, control in explorer.controls.items():
        if isinstance(control, Slider) and len(control.static_values) > 1:
            assert re.search(rf'data-control="{name}"[^>]*aria-valuetext="[^"]+"', html), name
        if len(control.static_values) == 1:     # no control that changes nothing
            assert re.search(rf'<span class="cnn-widget-fixed" data-control="{name}"', html)
    assert 'aria-live="polite"' in html


@pytest.mark.parametrize("function,args,kwargs,n_axes,check", STATIC_FIGURES)
def test_static_figure_text_is_readable_and_it_has_alt_text(function, args, kwargs, n_axes,
                                                            check):
    fig = function(*args, **kwargs)
    try:
        smallest = style.smallest_text(fig)
        width = style.css_width(fig, tight=True)
        desktop = style.text_px(smallest, width, 1280)
        phone = style.text_px(smallest, width, 390)
        assert desktop >= DESKTOP, (f"{function.__name__}: {smallest} pt text in a {width:.0f} "
                                    f"px wide figure is {desktop:.1f} px on a 1280 px desktop")
        assert phone >= PHONE, f"{function.__name__}: {phone:.1f} px on a 390 px phone"
        alt = getattr(fig, "_cnn_alt", "")
        assert len(alt) > 30 and not alt.startswith("Figure"), \
            f"{function.__name__} gives no alt text of its own (style.set_alt): {alt!r}"
        assert not re.search(r"\.(png|jpe?g)\b|/_images/", alt)
    finally:
        plt.close(fig)


def test_inline_png_is_2x_with_css_size_and_alt_text():
    fig, ax = plt.subplots(figsize=(5, 2.6))
    ax.plot([3, 2, 1])
    ax.set(title="learning a 3x3 kernel", xlabel="step", ylabel="mean squared error")
    try:
        data, metadata = style._inline_png(fig)
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (metadata["width"] * 2, metadata["height"] * 2) or \
                abs(image.size[0] - 2 * metadata["width"]) <= 1
            assert image.text["Description"] == metadata["alt"]
        assert metadata["alt"] == ("Figure: learning a 3x3 kernel: mean squared error against "
                                   "step")
    finally:
        plt.close(fig)


def test_text_px_follows_the_formula():
    # fits the column: full size (10 pt at 80 CSS px per inch = 11.1 px)
    assert style.text_px(10, 600) == pytest.approx(10 * 80 / 72)
    # wider than the column: shrunk to it (at most to PHONE_MIN_SCALE of its size)
    assert style.text_px(10, 800, 1280) == pytest.approx(10 * 80 / 72 * 688 / 800)
    # on a phone never below PHONE_MIN_SCALE (it scrolls instead)
    assert style.text_px(10, 1000, 390) == pytest.approx(10 * 80 / 72 * style.PHONE_MIN_SCALE)


def test_palette_is_okabe_ito_and_red_green_never_alone():
    assert style.OKABE_ITO["vermillion"] == "#D55E00" and style.OKABE_ITO["blue"] == "#0072B2"
    from cnn_course.widgets import ch05_implementation as ch5

    assert ch5.CHANNEL_COLORS[:2] == [style.BLUE, style.ORANGE]
