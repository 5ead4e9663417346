"""The course, executed as tests: every notebook top to bottom against the live stack.

Notebooks are found by glob (never a hand list) and run in name order with
papermill; a failure names the notebook and the cell and shows the error. Cells
marked ``# NBVAL_CHECK_OUTPUT`` must print what the committed notebook shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from airflow_lab.settings import PROJECT_ROOT, Settings, load_settings

from .runner import NOTEBOOKS, execute, profile

#: Notebooks for the one-node stack; those marked for the celery profile run in
#: the celery session (tests/celery/test_celery_notebooks.py).
ONE_NODE = [p for p in NOTEBOOKS if profile(p) == "core"]
TIMINGS: dict[str, float] = {}


@pytest.mark.notebooks
@pytest.mark.parametrize("path", ONE_NODE, ids=[p.stem for p in ONE_NODE])
def test_notebook_runs_top_to_bottom(path: Path, lab: Settings, tmp_path: Path) -> None:
    TIMINGS[path.stem] = execute(path, lab, tmp_path)


def test_every_notebook_runs_on_some_stack() -> None:
    """A notebook marked for a profile no session runs would never be executed."""
    assert {profile(p) for p in NOTEBOOKS} <= {"core", "celery"}
    assert set(ONE_NODE) | {p for p in NOTEBOOKS if profile(p) == "celery"} == set(NOTEBOOKS)


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


def teardown_module() -> None:
    if TIMINGS:
        results = load_settings().home / "notebook-timings.json"
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(TIMINGS, indent=2))
