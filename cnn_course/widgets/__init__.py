"""Interactive figures: live ipywidgets in Jupyter, precomputed players in the static book.

The framework is in ``core``; each chapter's explorers are in ``chNN_<topic>`` modules.
"""

from cnn_course.widgets.core import Checkbox, Dropdown, InteractiveFigure, Scene, Slider, freeze_background

__all__ = ["InteractiveFigure", "Scene", "Slider", "Dropdown", "Checkbox", "freeze_background"]
