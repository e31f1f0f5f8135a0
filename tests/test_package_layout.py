"""The package's layout holds: three groups, imports only downward, `__all__` everywhere.

Groups (cnn_course/__init__.py): the engine (top-level modules), the chapter helpers
(cnn_course.topics) and the book machinery (cnn_course.widgets, cnn_course.exercises).
"""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnn_course"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _group(module):
    parts = module.split(".")
    if len(parts) == 1 or parts[1] not in ("topics", "widgets", "exercises"):
        return "engine"
    return parts[1]


# which groups each group may import (besides itself)
ALLOWED = {
    "engine": {"engine"},
    "topics": {"engine", "topics"},
    "widgets": {"engine", "topics", "widgets"},
    "exercises": {"engine", "topics", "exercises"},
}


def _imports(path):
    """(module imported, line) for every cnn_course import in the file, relative ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                yield f"<relative import level {node.level}>", node.lineno
            elif node.module and node.module.split(".")[0] == "cnn_course":
                if node.module == "cnn_course":        # from cnn_course import functional
                    for alias in node.names:
                        yield f"cnn_course.{alias.name}", node.lineno
                else:
                    yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "cnn_course":
                    yield alias.name, node.lineno


def test_the_layout_lists_every_group_and_module():
    groups = {_group(_name(p)) for p in MODULES}
    assert groups == {"engine", "topics", "widgets", "exercises"}
    assert len(MODULES) > 30


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _name(p))
def test_imports_point_only_to_the_same_or_a_lower_group(path):
    mine = _group(_name(path))
    for target, line in _imports(path):
        assert not target.startswith("<relative"), \
            f"{path.name}:{line}: use absolute imports (cnn_course....), not {target}"
        assert _group(target) in ALLOWED[mine], \
            f"{path.name}:{line}: the {mine} group may not import {target} ({_group(target)})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _name(p))
def test_every_module_declares_all_and_every_listed_name_exists(path):
    module = importlib.import_module(_name(path))
    assert hasattr(module, "__all__"), f"{_name(path)} has no __all__"
    def exists(n):   # a package's __all__ may list its submodules
        if hasattr(module, n):
            return True
        return path.name == "__init__.py" and (path.parent / f"{n}.py").is_file()

    missing = [n for n in module.__all__ if not exists(n)]
    assert not missing, f"{_name(path)}.__all__ lists names it does not define: {missing}"


def test_the_package_docstring_names_every_top_level_module_and_subpackage():
    import cnn_course
    doc = cnn_course.__doc__
    for path in MODULES:
        name = _name(path).split(".")
        if len(name) == 2 and name[1] != "__init__":
            assert f"``{name[1]}``" in doc, f"cnn_course's docstring does not list {name[1]}"
    import cnn_course.topics as topics
    for path in (PACKAGE / "topics").glob("*.py"):
        if path.stem != "__init__":
            assert f"``{path.stem}``" in topics.__doc__, f"topics' docstring misses {path.stem}"
