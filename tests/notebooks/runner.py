"""Execute a course notebook against a live stack, as a test.

Shared by the one-node session (tests/notebooks) and the celery session
(tests/celery): a notebook declares the stack it needs in its metadata,
``{"airflow_lab": {"profile": "celery"}}``; the default is the one-node stack.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from airflow_lab.settings import PROJECT_ROOT, Settings

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def profile(path: Path) -> str:
    """The stack profile a notebook runs on: "core" unless its metadata says otherwise."""
    nb = nbformat.read(path, as_version=4)
    return nb.metadata.get("airflow_lab", {}).get("profile", "core")


def _text(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    return data.get("text/plain", "")


def checked_outputs(nb) -> list[tuple[int, str]]:
    """The outputs of cells marked ``# NBVAL_CHECK_OUTPUT``, by cell index."""
    return [
        (i, ANSI.sub("", "".join(_text(o) for o in cell.get("outputs", []))).strip())
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in cell.source
    ]


def execute(path: Path, lab: Settings, tmp_path: Path) -> float:
    """Run ``path`` top to bottom with papermill against ``lab``; returns seconds taken.

    A failure names the notebook and the cell and shows the error; cells marked
    ``# NBVAL_CHECK_OUTPUT`` must print what the committed notebook shows.
    """
    import papermill as pm

    out = tmp_path / path.name
    t0 = time.monotonic()
    try:
        pm.execute_notebook(
            str(path),
            str(out),
            cwd=str(path.parent),
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
            parameters={"lab_home": str(lab.home)},
        )
    except pm.PapermillExecutionError as e:
        pytest.fail(
            f"{path.name}, cell {e.exec_count} (index {e.cell_index}): "
            f"{e.ename}: {ANSI.sub('', e.evalue)}",
            pytrace=False,
        )
    seconds = time.monotonic() - t0
    committed = dict(checked_outputs(nbformat.read(path, as_version=4)))
    for index, text in checked_outputs(nbformat.read(out, as_version=4)):
        assert text == committed.get(index), (
            f"{path.name} cell {index}: output differs from the committed notebook\n"
            f"--- committed\n{committed.get(index)}\n--- now\n{text}"
        )
    return seconds
