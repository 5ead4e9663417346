"""Every exercise checker accepts the published solution and rejects a wrong answer.

Solutions live in ``notebooks/solutions/NN_*.py``: for exercise N a function
``exercise_N(lab)`` returning the right answer, and ``WRONG["exercise_N"]`` a
plausible wrong one. The checker is ``airflow_lab.checks.nbNN.exercise_N``.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from airflow_lab.errors import CheckFailed
from airflow_lab.notebook import Lab
from airflow_lab.settings import PROJECT_ROOT, Settings

SOLUTIONS = sorted((PROJECT_ROOT / "notebooks" / "solutions").glob("[0-9][0-9]*.py"))


def _cases() -> list[tuple[Path, str]]:
    cases = []
    for path in SOLUTIONS:
        source = path.read_text()
        for line in source.splitlines():
            if line.startswith("def exercise_"):
                cases.append((path, line[4:].split("(")[0]))
    return cases


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prefix(path: Path) -> str:
    """The notebook's number: the stem up to the first underscore ("06a", "04")."""
    return path.stem.split("_", 1)[0]


def _checker(path: Path, name: str):
    return getattr(importlib.import_module(f"airflow_lab.checks.nb{_prefix(path)}"), name)


@pytest.fixture(scope="module")
def nb_lab(lab: Settings) -> Lab:
    return Lab(lab)


@pytest.mark.parametrize(("path", "name"), _cases(), ids=[f"{_prefix(p)}_{n}" for p, n in _cases()])
def test_solution_passes_its_checker(path: Path, name: str, nb_lab: Lab) -> None:
    solution = _load(path)
    answer = getattr(solution, name)(nb_lab)
    _checker(path, name)(answer, lab=nb_lab)


@pytest.mark.parametrize(("path", "name"), _cases(), ids=[f"{_prefix(p)}_{n}" for p, n in _cases()])
def test_wrong_answer_fails_with_a_helpful_message(path: Path, name: str, nb_lab: Lab) -> None:
    solution = _load(path)
    assert name in solution.WRONG, f"{path.name} has no WRONG answer for {name}"
    with pytest.raises(CheckFailed) as info:
        _checker(path, name)(solution.WRONG[name], lab=nb_lab)
    assert len(str(info.value)) > 20, "a failing check should say what to look at"


def test_unanswered_exercise_does_not_stop_the_notebook(nb_lab: Lab) -> None:
    """``None`` means "not tried yet": a hint is printed and the notebook runs on."""
    for path, name in _cases():
        _checker(path, name)(None, lab=nb_lab)
