"""Auto-checked exercises with hints and reference solutions.

In a notebook::

    from cnn_course.exercises import check, hint, solution
    check("ch1-corr2d", corr2d)   # "✓ Passed", "✗ Not yet" (which case, expected vs got, a
                                  # nudge) or "○ To do" (the untouched stub)
    hint("ch1-corr2d")            # hint tier 1, a conceptual nudge; hint("ch1-corr2d", 2) is
                                  # more concrete, the last tier is the code-level step
    solution("ch1-corr2d")        # the reference solution, once you have tried (a check of an
                                  # attempt); solution("ch1-corr2d", reveal=True) shows it anyway

The framework is in ``core``; each chapter's checkers are in ``chNN`` and its reference
solutions (the code the book shows in a dropdown) in ``chNN_solutions``.
"""

from cnn_course.exercises.core import check, get, hint, solution

__all__ = ["check", "hint", "solution", "get"]
