"""The course, executed as tests: every notebook top to bottom against the live stack.

nbval runs the notebooks themselves (collected under this module, see course.py);
the tests here check what a reader of the committed notebooks sees.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from airflow_lab.settings import PROJECT_ROOT

from .course import NOTEBOOKS, profile

MARKER = "# NBVAL_CHECK_OUTPUT"


def test_every_notebook_runs_on_some_stack() -> None:
    """A notebook marked for a profile no session runs would never be executed:
    "core" notebooks run in this session, "celery" ones in tests/celery."""
    profiles = {p.name: profile(p) for p in NOTEBOOKS}
    assert set(profiles.values()) <= {"core", "celery"}, profiles


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_checks_some_output(path: Path) -> None:
    """nbval compares a cell's output only when its source carries the marker; a
    marked cell without committed output would check nothing."""
    nb = nbformat.read(path, as_version=4)
    marked = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(MARKER)]
    assert marked, f"{path.name}: no cell starts with {MARKER!r}"
    assert all(c.outputs for c in marked), f"{path.name}: a marked cell has no output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_reads_well(path: Path) -> None:
    """Committed with outputs of a real run: executed in order, no error outputs."""
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c is not None for c in counts), f"{path.name} has unexecuted code cells"
    assert counts == sorted(counts), f"{path.name} cells were executed out of order: {counts}"
    errors = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    # A cell may show an error on purpose only when tagged raises-exception.
    tagged = {
        i
        for i, c in enumerate(nb.cells)
        if "raises-exception" in c.get("metadata", {}).get("tags", [])
    }
    assert set(errors) <= tagged, (
        f"{path.name} has error outputs in cells {sorted(set(errors) - tagged)}"
    )
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), (
        "first cell must be a title"
    )
    params = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert params, f"{path.name} has no cell tagged 'parameters' for papermill"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    assert "what you will learn" in text and "recap" in text, (
        f"{path.name} lacks its learning goals or recap"
    )


def test_readme_links_every_notebook() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [p.name for p in NOTEBOOKS if f"notebooks/{p.name}" not in readme]
    assert not missing, f"README.md does not link: {missing}"


def test_start_here_maps_every_notebook() -> None:
    """Notebook 00's map is where a learner finds the course; a notebook it does not
    link is one they would never open."""
    nb = nbformat.read(PROJECT_ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    missing = [
        p.name for p in NOTEBOOKS if p.name != "00_start_here.ipynb" and f"]({p.name})" not in text
    ]
    assert not missing, f"notebook 00's map does not link: {missing}"
