"""Auto-checked exercises with hints and reference solutions.

In a notebook::

    from cnn_course.exercises import check, hint, solution
    check("ch1-corr2d", corr2d)   # specific feedback: which case failed, expected vs got, a nudge
    hint("ch1-corr2d")            # a nudge in the right direction
    solution("ch1-corr2d")        # the reference solution's source

The framework is in ``core``; each chapter's checkers are in ``chNN`` and its reference
solutions (the code the book shows in a dropdown) in ``chNN_solutions``.
"""

from cnn_course.exercises.core import check, get, hint, solution

__all__ = ["check", "hint", "solution", "get"]
