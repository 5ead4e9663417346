"""environment.yml: the conda way to the same packages `make install` puts in .venv.

Its direct dependencies are pyproject.toml's, each pinned to the version
requirements.lock resolved, with the same platform markers and the same comment;
the lock itself and the package follow, so nothing is resolved differently.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "environment.yml"
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"


def pyproject_requirements() -> dict[str, Requirement]:
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return {canonicalize_name(r.name): r for r in map(Requirement, deps)}


def pyproject_comments() -> dict[str, str]:
    """The comment at the end of each dependency's line in pyproject.toml."""
    comments = {}
    for line in PYPROJECT.read_text().splitlines():
        match = re.match(r'\s*"([^"]+)",\s*#\s*(.+)$', line)
        if match:
            comments[canonicalize_name(Requirement(match[1]).name)] = match[2].strip()
    return comments


def lock_versions() -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for line in LOCK.read_text().splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        if match:
            versions.setdefault(canonicalize_name(match[1]), set()).add(match[2])
    return versions


def environment() -> dict:
    return yaml.safe_load(ENV_FILE.read_text())


def pip_entries() -> list[str]:
    for item in environment()["dependencies"]:
        if isinstance(item, dict) and "pip" in item:
            return item["pip"]
    raise AssertionError("environment.yml has no pip: section")


def env_requirements() -> dict[str, Requirement]:
    return {
        canonicalize_name(r.name): r
        for r in (Requirement(e) for e in pip_entries() if not e.startswith("-"))
    }


def env_comments() -> dict[str, str]:
    """The comment at the end of each pip line of environment.yml."""
    comments = {}
    for line in ENV_FILE.read_text().splitlines():
        match = re.match(r"\s+- (\"[^\"]+\"|[^\s#]+)\s+#\s*(.+)$", line)
        if match and not match[1].startswith(("-", "python", "pip")):
            comments[canonicalize_name(Requirement(match[1].strip('"')).name)] = match[2].strip()
    return comments


def test_python_is_in_the_supported_range():
    supported = SpecifierSet(tomllib.loads(PYPROJECT.read_text())["project"]["requires-python"])
    pythons = [
        d for d in environment()["dependencies"] if isinstance(d, str) and d.startswith("python")
    ]
    assert len(pythons) == 1, pythons
    version = pythons[0].removeprefix("python").lstrip("=")
    assert version in supported, f"python {version} is outside {supported}"
    minors = [f"3.{m}" for m in range(8, 20) if f"3.{m}" in supported]
    line = next(x for x in ENV_FILE.read_text().splitlines() if "- python=" in x)
    assert f"{minors[0]} to {minors[-1]}" in line, (
        f"the comment should say {minors[0]} to {minors[-1]}"
    )


def test_only_python_and_pip_come_from_conda():
    conda = [d for d in environment()["dependencies"] if isinstance(d, str)]
    assert [d.split("=")[0] for d in conda] == ["python", "pip"]


def test_same_direct_dependencies_as_pyproject():
    ours, theirs = set(env_requirements()), set(pyproject_requirements())
    assert ours == theirs, (
        f"only in environment.yml: {ours - theirs}; only in pyproject: {theirs - ours}"
    )


@pytest.mark.parametrize("name", sorted(pyproject_requirements()))
def test_pinned_to_the_lock(name):
    req, wanted = env_requirements()[name], pyproject_requirements()[name]
    pins = [s.version for s in req.specifier if s.operator == "=="]
    assert len(pins) == 1 and len(req.specifier) == 1, (
        f"{req}: pin it with == to the lock's version"
    )
    locked = lock_versions().get(name, set())
    assert pins[0] in locked, f"{name}=={pins[0]} but requirements.lock has {sorted(locked)}"
    assert wanted.specifier.contains(pins[0], prereleases=True), (
        f"{pins[0]} outside pyproject's {wanted}"
    )
    assert str(req.marker) == str(wanted.marker), (
        f"{name}: marker {req.marker} != pyproject's {wanted.marker}"
    )


def test_the_lock_and_the_package_follow():
    entries = pip_entries()
    assert "-r requirements.lock" in entries, "every transitive pin, as `make install` uses"
    assert "-e ." in entries, "the kit's own package, from the checkout"
    assert entries.index("-e .") == len(entries) - 1


def test_each_dependency_says_what_uses_it():
    ours, theirs = env_comments(), pyproject_comments()
    assert set(ours) == set(env_requirements()), (
        f"no comment: {set(env_requirements()) - set(ours)}"
    )
    for name, comment in theirs.items():
        assert ours[name] == comment, f"{name}: {ours[name]!r} != pyproject's {comment!r}"
