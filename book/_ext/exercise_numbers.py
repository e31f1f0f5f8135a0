"""Number the exercises per chapter: "Exercise 2.3", the third exercise of chapter 2.

sphinx-exercise numbers exercises with Sphinx's numfig, which counts through the whole book
(Exercise 1 to 36). A chapter notebook is named ``NN_topic`` (``book/02_padding_stride``), so
after Sphinx assigns its numbers this extension renumbers each chapter's exercises as
(chapter, k), which numfig prints as "2.3" (and ``{numref}`` the same). JupyterLab, which
shows one notebook at a time, numbers them 1, 2, 3 within the chapter: the same k.
"""

import re

_CHAPTER = re.compile(r"(?:^|/)(\d\d)_[^/]*$")


def renumber(app, env):
    changed = []
    for docname, numbers in env.toc_fignumbers.items():
        match = _CHAPTER.search(docname)
        exercises = numbers.get("exercise")
        if not match or not exercises:
            continue
        chapter = int(match.group(1))
        order = sorted(exercises, key=lambda label: exercises[label])
        renumbered = {label: (chapter, k) for k, label in enumerate(order, start=1)}
        if renumbered != exercises:
            numbers["exercise"] = renumbered
            changed.append(docname)
    return changed


def setup(app):
    # after Sphinx's own TocTreeCollector (priority 500) has assigned the book-wide numbers
    app.connect("env-get-updated", renumber, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
