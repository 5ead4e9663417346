"""The notebooks written for the multi-node stack, run by nbval on the celery session's stack.

The notebooks themselves are collected under this module by tests/celery/conftest.py
(see tests/notebooks/course.py); this module checks that there are some to run.
"""

from __future__ import annotations

from tests.notebooks.course import NOTEBOOKS, profile


def test_some_notebook_needs_the_celery_stack() -> None:
    """Otherwise this session would start a celery stack for no notebook."""
    assert [p.name for p in NOTEBOOKS if profile(p) == "celery"]
