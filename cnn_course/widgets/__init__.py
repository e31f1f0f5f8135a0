"""Interactive figures: live ipywidgets in Jupyter, precomputed players in the static book.

The framework is in ``core``; the drawing kit the chapters share (numbered grids, titles,
panels, image rows, the number format) is in ``draw``; each chapter's explorers and static
figures are in ``chNN_<topic>`` modules; ``style`` is the one figure style they share (text
sizes, resolution, colour-blind-safe colours, alt texts). Every explorer and static figure is
registered in ``tests/test_widgets_contract.py``.

Importing the package applies the course's figure style (``style.use_course_style``): in
Jupyter, static figures are then drawn at 2x with their CSS size and alt text.
"""

from cnn_course.widgets.core import Checkbox, Dropdown, InteractiveFigure, Scene, Slider, freeze_background
from cnn_course.widgets.style import use_course_style

use_course_style()

__all__ = ["InteractiveFigure", "Scene", "Slider", "Dropdown", "Checkbox", "freeze_background"]
