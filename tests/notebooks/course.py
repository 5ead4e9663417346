"""The course notebooks as tests: nbval runs them, cell by cell, against the session's stack.

Each session runs the notebooks written for its stack: a notebook declares the stack
it needs in its metadata, ``{"airflow_lab": {"profile": "celery"}}``; the default is
the one-node stack ("core"). ``tests/notebooks/conftest.py`` hangs the "core"
notebooks under ``test_notebooks.py``, ``tests/celery/conftest.py`` the "celery" ones
under ``test_celery_notebooks.py``, so that the session's ``lab`` fixture, which starts
and stops its stack, serves them.

The notebooks are collected when pytest runs with ``--nbval-lax`` (``make test`` does).
nbval runs every code cell in one kernel per notebook, in order; a cell fails when
it raises (unless tagged ``raises-exception``) and, if its source carries
``# NBVAL_CHECK_OUTPUT``, when its output differs from the committed one after
``sanitize.cfg`` has masked the parts that change from run to run. Before the first
cell, a ``stack`` item checks that the session's stack is up; if it is not, the
notebook's cells are skipped rather than failing one by one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import IPyNbFile

from airflow_lab.settings import PROJECT_ROOT, load_settings

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))
SANITIZE = Path(__file__).with_name("sanitize.cfg")
#: Seconds each notebook took in this session, written to the stack's home for the
#: terminal summary (tests/conftest.py).
TIMINGS: dict[str, float] = {}


def profile(path: Path) -> str:
    """The stack profile a notebook runs on: "core" unless its metadata says otherwise."""
    nb = nbformat.read(path, as_version=4)
    return nb.metadata.get("airflow_lab", {}).get("profile", "core")


class CourseNotebook(IPyNbFile):
    """One notebook under nbval, preceded by a check that its stack serves it."""

    stack_ready = False

    def collect(self):
        self.add_marker(pytest.mark.notebooks)
        yield pytest.Function.from_parent(self, name="stack", callobj=self._stack_serves)
        for cell in super().collect():
            # skipif with a string is evaluated when the cell is set up, after `stack`
            # ran; nbval gives each cell an object whose __globals__ the string sees.
            cell.obj.__globals__["notebook"] = self
            cell.add_marker(
                pytest.mark.skipif(
                    "not notebook.stack_ready", reason=f"no stack for {self.path.name}"
                )
            )
            yield cell

    def _stack_serves(self, lab, api) -> None:
        """The session's stack (started by the ``lab`` fixture) reports itself healthy."""
        health = api.get("/api/v2/monitor/health")
        states = {component: report["status"] for component, report in health.items()}
        assert set(states.values()) == {"healthy"}, f"{lab.home}: {states}"
        self.stack_ready = True

    def get_sanitize_files(self) -> list[str]:
        """``--nbval-sanitize-with`` if given, else the course's own sanitize.cfg."""
        return super().get_sanitize_files() or [str(SANITIZE)]

    def setup(self) -> None:
        self._started = time.monotonic()
        super().setup()

    def teardown(self) -> None:
        super().teardown()
        TIMINGS[self.path.stem] = round(time.monotonic() - self._started, 1)
        results = load_settings().home / "notebook-timings.json"
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(TIMINGS, indent=2))


class CourseModule(pytest.Module):
    """A test module that also holds the course notebooks of one stack profile."""

    profile = "core"

    def collect(self):
        yield from super().collect()
        if not self.config.getoption("nbval_lax"):
            return  # run the notebooks with --nbval-lax, as `make test` does
        for path in NOTEBOOKS:
            if profile(path) == self.profile:
                yield CourseNotebook.from_parent(self, path=path)


class CeleryCourseModule(CourseModule):
    profile = "celery"
