"""Sphinx extension: write each inline <script> block once per page.

Sphinx 7.4 (the version Jupyter Book 1 uses) writes an inline script twice when an extension
adds it after the HTML builder has started: once as added (filename None) and once more when
the builder re-reads its registry before writing (filename ""), because its asset comparison
tells None and "" apart. sphinx-thebe's `const THEBE_JS_URL = ...` declared twice is a
SyntaxError in the browser console (sphinx-togglebutton's selector is duplicated too, harmlessly).
This handler runs after all others on every page and drops the exact duplicates.
"""


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attributes = tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items()))
        key = (getattr(js, "filename", js) or "", attributes)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
