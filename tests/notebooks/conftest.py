"""The one-node session's notebooks hang under test_notebooks.py (see course.py)."""

from __future__ import annotations

from pathlib import Path

from .course import CourseModule


def pytest_pycollect_makemodule(module_path: Path, parent):  # type: ignore[no-untyped-def]
    if module_path.name == "test_notebooks.py":
        return CourseModule.from_parent(parent, path=module_path)
    return None
