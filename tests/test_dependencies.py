"""One list of dependencies and one list of pins, and nothing imported that is not declared.

- pyproject.toml ([project] dependencies and the extras test, book, bench) says WHAT the course
  needs, with ranges;
- requirements.txt holds exactly one `name==version` pin for each of them, inside its range,
  and pins nothing else (plus the `-e .[...]` line that installs the package and its extras);
- every third-party module imported by cnn_course/ is a main dependency, and every one imported
  by tests/, .ci/, conftest.py or benchmarks/ is declared somewhere (main or an extra).

Imports are read with `ast` (also those inside functions); an import name is mapped to its
distribution with importlib.metadata, so the test needs the environment installed.
"""

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
EXTRAS_IN_REQUIREMENTS = {"test", "book", "bench"}
# Imported, deliberately not declared: torch is the optional oracle (.ci/oracle installs it).
OPTIONAL = {"torch": ".ci/oracle installs torch==2.13.0 for the cross-checks"}


def _declared():
    """{group: {canonical name: Requirement}} for "main" and every extra of pyproject.toml."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"main": project["dependencies"], **project["optional-dependencies"]}
    return {group: {canonicalize_name(Requirement(r).name): Requirement(r) for r in reqs}
            for group, reqs in groups.items()}


def _requirements_lines():
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def _pins():
    """[(canonical name, Requirement)] of every pin in requirements.txt (repeats kept)."""
    return [(canonicalize_name(Requirement(line).name), Requirement(line))
            for line in _requirements_lines() if not line.startswith("-")]


DECLARED = _declared()
ALL_DECLARED = {name: req for group in DECLARED.values() for name, req in group.items()}


def test_no_dependency_is_declared_twice():
    seen = {}
    for group, reqs in DECLARED.items():
        for name in reqs:
            seen.setdefault(name, []).append(group)
    twice = {name: groups for name, groups in seen.items() if len(groups) > 1}
    assert not twice, f"declared in more than one group of pyproject.toml: {twice}"


def test_requirements_install_the_package_with_every_extra():
    editable = [line for line in _requirements_lines() if line.startswith("-e")]
    assert len(editable) == 1, f"requirements.txt needs exactly one '-e .[...]' line: {editable}"
    extras = set(re.fullmatch(r"-e \.\[([\w,]+)\]", editable[0]).group(1).split(","))
    assert extras == set(DECLARED) - {"main"} == EXTRAS_IN_REQUIREMENTS


def test_every_pin_is_exact_and_declared():
    for name, pin in _pins():
        specs = list(pin.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"requirements.txt: {pin} is not an exact pin (name==version)")
        assert name in ALL_DECLARED, (
            f"requirements.txt pins {name}, which pyproject.toml does not declare: declare it "
            "(with a range) or drop the pin")


@pytest.mark.parametrize("name", sorted(ALL_DECLARED))
def test_dependency_has_one_pin_inside_its_range(name):
    pins = [pin for pinned, pin in _pins() if pinned == name]
    assert len(pins) == 1, f"{name}: {len(pins)} pins in requirements.txt, need exactly one"
    version = Version(next(iter(pins[0].specifier)).version)
    declared = ALL_DECLARED[name]
    assert declared.specifier.contains(version, prereleases=True), (
        f"{name}: pinned {version} is outside the range pyproject.toml declares ({declared})")


# ------------------------------------------------------------------ imports


def _imports(paths):
    """{top-level module name: sorted files} of the absolute imports in these .py files."""
    found = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for module in names:
                found.setdefault(module.split(".")[0], set()).add(
                    path.relative_to(REPO).as_posix())
    return {name: sorted(files) for name, files in found.items()}


@functools.cache
def _distributions():
    return packages_distributions()


def _third_party(paths):
    """{distribution: files} for the third-party imports of these files (local ones skipped)."""
    local = {path.stem for path in paths} | {"cnn_course"}
    distributions = _distributions()
    result = {}
    for module, files in _imports(paths).items():
        if module in sys.stdlib_module_names or module in local:
            continue
        if module in OPTIONAL:          # allowed, and absent from a fresh .venv (CI)
            result.setdefault(module, []).extend(files)
            continue
        names = distributions.get(module)
        assert names, (f"{module} (imported by {files}) is not installed: declare it in "
                       "pyproject.toml and pin it in requirements.txt")
        for dist in names:
            result.setdefault(canonicalize_name(dist), []).extend(files)
    return result


def _py_files(*roots):
    files = []
    for root in roots:
        path = REPO / root
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if "node_modules" not in f.parts]


def test_the_package_imports_only_main_dependencies():
    undeclared = {dist: files for dist, files in _third_party(_py_files("cnn_course")).items()
                  if dist not in DECLARED["main"]}
    assert not undeclared, (
        f"cnn_course/ imports these, which are not in [project] dependencies: {undeclared}")


@pytest.mark.parametrize("roots", [("tests", "conftest.py", ".ci"), ("benchmarks",)],
                         ids=["tests-and-ci", "benchmarks"])
def test_tests_ci_and_benchmarks_import_only_declared_packages(roots):
    allowed = set(DECLARED["main"]) | set(DECLARED["test"]) | set(DECLARED["book"]) | set(OPTIONAL)
    if roots == ("benchmarks",):
        allowed |= set(DECLARED["bench"])
    undeclared = {dist: files for dist, files in _third_party(_py_files(*roots)).items()
                  if dist not in allowed}
    assert not undeclared, (
        f"{', '.join(roots)} import these, which pyproject.toml does not declare in the "
        f"allowed groups: {undeclared}")
