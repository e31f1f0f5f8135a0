"""Interactive figures: live ipywidgets in Jupyter, precomputed players in the static book.

The framework is in ``core``; the drawing kit the chapters share (numbered grids, titles,
panels, image rows, the number format) is in ``draw``; each chapter's explorers and static
figures are in ``chNN_<topic>`` modules. Every explorer and static figure is registered in
``tests/test_widgets_contract.py``.
"""

from cnn_course.widgets.core import Checkbox, Dropdown, InteractiveFigure, Scene, Slider, freeze_background

__all__ = ["InteractiveFigure", "Scene", "Slider", "Dropdown", "Checkbox", "freeze_background"]
