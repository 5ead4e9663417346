"""The notebook check is honest: nbval, with the course's options and sanitize.cfg,
fails a marked cell whose output changed and passes one whose only changes are masked.

Runs nbval in a new pytest process on small generated notebooks (no stack needed).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from airflow_lab.settings import PROJECT_ROOT

SANITIZE = PROJECT_ROOT / "tests" / "notebooks" / "sanitize.cfg"

#: What a cell printed when the notebook was committed, and the code that prints what
#: it prints now. The volatile values are of the kinds sanitize.cfg must mask.
COMMITTED_VOLATILE = (
    "run manual__2026-12-02T01:02:24.112965+00:00: success\n"
    "temporary run __airflow_temporary_run_2026-12-02T01:04:51.693748+00:00__\n"
    "ti 01a2344a-5514-7067-bf97-5a124182bd00 at 2026-12-02 01:07:08.514072+00:00\n"
    "serialized_dag: hash a04dfcce98dd…, updated 01:04:10\n"
    "01:05:42.345 info    Poking: api/v2/collection/doodles-official/nfts\n"
    "UI http://127.0.0.1:8080 | scheduler pid 7139 | took 4.6 s\n"
    "home /work/main/.lab, logs in /work/main/.lab/logs, scratch /tmp/nb01-old-way-3kz1q\n"
)
NOW_VOLATILE = (
    "run manual__2027-01-05T11:22:33.445566+00:00: success\n"
    "temporary run __airflow_temporary_run_2027-01-05T11:22:40.000001+00:00__\n"
    "ti 01b99999-0000-7abc-8def-123456789abc at 2027-01-05 11:22:41.5+00:00\n"
    "serialized_dag: hash 5f3e0c1d2b4a…, updated 11:22:42\n"
    "11:22:43.001 info    Poking: api/v2/collection/doodles-official/nfts\n"
    "UI http://127.0.0.1:8180 | scheduler pid 48213 | took 12.25 s\n"
    "home /builds/x/airflow-lab/.lab-test, logs in /builds/x/airflow-lab/.lab-test/logs,"
    " scratch /tmp/nb01-old-way-8a_b2\n"
)


def _stdout(text: str):
    return new_output("stream", name="stdout", text=text)


def _cell(source: str, outputs=(), tags=()):
    cell = new_code_cell(source, execution_count=1, outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


CELLS = {
    # index: (cell, expected outcome)
    0: (_cell("# NBVAL_CHECK_OUTPUT\nprint(2 + 2)", [_stdout("4\n")]), "PASSED"),
    1: (_cell("# NBVAL_CHECK_OUTPUT\nprint(2 + 3)", [_stdout("4\n")]), "FAILED"),
    2: (
        _cell(
            "# NBVAL_CHECK_OUTPUT\n{'tasks': ['extract', 'load'], 'rows': 5}",
            [
                new_output(
                    "execute_result",
                    data={"text/plain": "{'tasks': ['extract', 'load'], 'rows': 5}"},
                    execution_count=1,
                )
            ],
        ),
        "PASSED",
    ),
    3: (
        _cell(
            "# NBVAL_CHECK_OUTPUT\n['extract', 'transform']",
            [
                new_output(
                    "execute_result",
                    data={"text/plain": "['extract', 'load']"},
                    execution_count=1,
                )
            ],
        ),
        "FAILED",
    ),
    4: (
        _cell(
            f"# NBVAL_CHECK_OUTPUT\nprint({NOW_VOLATILE!r}, end='')", [_stdout(COMMITTED_VOLATILE)]
        ),
        "PASSED",
    ),
    5: (
        _cell(
            f"# NBVAL_CHECK_OUTPUT\nprint({NOW_VOLATILE.replace('success', 'failed')!r}, end='')",
            [_stdout(COMMITTED_VOLATILE)],
        ),
        "FAILED",
    ),
    6: (_cell("print('unmarked: not compared')", [_stdout("something else\n")]), "PASSED"),
    7: (_cell("raise ValueError('on purpose')", tags=["raises-exception"]), "PASSED"),
    8: (_cell("raise ValueError('by mistake')"), "FAILED"),
}


def _nbval(tmp_path: Path, *options: str) -> tuple[dict[int, str], str]:
    """Run nbval as `make test` does on a notebook of CELLS; outcome per cell index."""
    nb = new_notebook(cells=[cell for cell, _ in CELLS.values()])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "checked.ipynb"
    nbformat.write(nb, path)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--color=no"]
    cmd += ["--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=120", *options]
    cmd += ["--rootdir", str(tmp_path), str(path)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    outcomes = {
        int(cell): outcome
        for outcome, cell in re.findall(
            r"^(PASSED|FAILED) checked\.ipynb::Cell (\d+)", result.stdout, re.M
        )
    }
    return outcomes, result.stdout


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[int, str], str]:
    return _nbval(tmp_path_factory.mktemp("nbval"), f"--nbval-sanitize-with={SANITIZE}")


@pytest.mark.parametrize("index", sorted(CELLS))
def test_marked_cells_are_compared_after_sanitizing(
    sanitized: tuple[dict[int, str], str], index: int
) -> None:
    outcomes, report = sanitized
    assert outcomes.get(index) == CELLS[index][1], f"cell {index}:\n{report[-3000:]}"


def test_a_failure_names_the_notebook_the_cell_and_the_difference(
    sanitized: tuple[dict[int, str], str],
) -> None:
    _, report = sanitized
    assert "checked.ipynb::Cell 1" in report
    assert "Cell 1: Cell outputs differ" in report and "print(2 + 3)" in report
    assert "'4\\n' == '5\\n'" in report, "the committed and the new output, side by side"


def test_without_sanitizing_the_volatile_cell_fails(tmp_path: Path) -> None:
    """So it is sanitize.cfg that makes cell 4 pass, not a comparison that ignores output."""
    outcomes, report = _nbval(tmp_path)
    assert outcomes.get(4) == "FAILED", report[-3000:]
    assert outcomes.get(0) == "PASSED", report[-3000:]
