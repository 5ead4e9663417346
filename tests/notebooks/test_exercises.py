"""The course's exercises have the learner do Airflow, and give nothing away.

These read the committed notebooks, checkers and solutions; they need no stack.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import nbformat
import pytest

from airflow_lab.checks import Exercise
from airflow_lab.settings import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]*.ipynb"))
SOLUTIONS = PROJECT_ROOT / "notebooks" / "solutions"
#: From notebook 04 on, the learner writes or changes Airflow in at least two exercises.
HANDS_ON_FROM = "04"


def _prefix(path: Path) -> str:
    return path.stem.split("_", 1)[0]


def _hands_on_cells(path: Path) -> list[int]:
    nb = nbformat.read(path, as_version=4)
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "hands-on" in cell.get("metadata", {}).get("tags", [])
    ]


@pytest.mark.parametrize(
    "path",
    [p for p in NOTEBOOKS if _prefix(p) >= HANDS_ON_FROM],
    ids=lambda p: p.stem,
)
def test_at_least_two_hands_on_exercises(path: Path) -> None:
    cells = _hands_on_cells(path)
    assert len(cells) >= 2, f"{path.name} has {len(cells)} cells tagged hands-on"
    nb = nbformat.read(path, as_version=4)
    for i in cells:
        assert re.search(r"nb\w+\.exercise_\d+\(", nb.cells[i].source), (
            f"{path.name} cell {i} is tagged hands-on but calls no checker"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_checker_is_an_exercise_with_a_solution(path: Path) -> None:
    """Each checker a notebook calls is an Exercise with two hints and a published solution."""
    prefix = _prefix(path)
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    called = sorted(set(re.findall(rf"nb{prefix}\.(exercise_\d+)\(", source)))
    assert called, f"{path.name} has no exercises"
    module = importlib.import_module(f"airflow_lab.checks.nb{prefix}")
    solution = next(SOLUTIONS.glob(f"{prefix}_*.py")).read_text()
    for name in called:
        checker = getattr(module, name)
        assert isinstance(checker, Exercise), f"nb{prefix}.{name} is not an Exercise"
        assert len(checker.hints) >= 2, f"nb{prefix}.{name} has no second, stronger hint"
        assert f"def {name}(" in solution, f"no solution for nb{prefix}.{name}"


def _runs(text: str, size: int = 30) -> set[str]:
    squeezed = " ".join(text.split())
    return {squeezed[i : i + size] for i in range(len(squeezed) - size + 1)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercise_text_does_not_show_the_solution(path: Path) -> None:
    """The prose of the exercises shares no 30 characters of code with the solutions,
    beyond code the learner is given anyway (fenced blocks in the task, the notebook's
    code cells, the checker's starter DAGs)."""
    nb = nbformat.read(path, as_version=4)
    start = next(
        (i for i, c in enumerate(nb.cells) if c.source.lstrip().startswith("### Exercise")),
        len(nb.cells),
    )
    text = "\n".join(c.source for c in nb.cells[start:] if c.cell_type == "markdown")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # fenced blocks: code the task gives
    code = next(SOLUTIONS.glob(f"{_prefix(path)}_*.py")).read_text()
    body = "\n".join(  # comments and the DAG ids the tasks prescribe are not solutions
        line
        for line in code.splitlines()
        if not line.lstrip().startswith(("#", '"""')) and "dag_id=" not in line
    )
    given = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    checker = PROJECT_ROOT / "airflow_lab" / "checks" / f"nb{_prefix(path)}.py"
    shared = _runs(text) & _runs(body) - _runs(given) - _runs(checker.read_text())
    assert not shared, f"{path.name}'s exercises repeat the solution: {sorted(shared)[:3]}"
