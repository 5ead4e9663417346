"""Every exercise checker accepts the published solution and rejects a wrong answer.

Solutions live in ``notebooks/solutions/NN_*.py``: for exercise N a function
``exercise_N(lab)`` returning the right answer, and ``WRONG["exercise_N"]`` a
plausible wrong one. The checker is ``airflow_lab.checks.nbNN.exercise_N``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

from airflow_lab.checks import Exercise
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
def test_wrong_answer_fails_with_its_message(path: Path, name: str, nb_lab: Lab) -> None:
    """``WRONG[name]`` is a typical wrong answer with words its message must contain:
    ``(answer, "words")``."""
    solution = _load(path)
    assert name in solution.WRONG, f"{path.name} has no WRONG answer for {name}"
    assert isinstance(_checker(path, name), Exercise), f"{name} of {path.name} is no Exercise"
    answer, words = solution.WRONG[name]
    assert words, f"WRONG[{name!r}] of {path.name} names no words its message must contain"
    with pytest.raises(CheckFailed) as info:
        _checker(path, name)(answer, lab=nb_lab)
    message = str(info.value)
    assert len(message) > 20, "a failing check should say what to look at"
    assert words.lower() in message.lower(), f"expected {words!r} in the message: {message}"
    right = getattr(solution, name)(nb_lab)
    if isinstance(right, str) and len(right) >= 8:
        assert right not in message, f"the message gives the answer away: {message}"


def test_unanswered_exercise_does_not_stop_the_notebook(nb_lab: Lab) -> None:
    """``None`` means "not tried yet": a hint is printed and the notebook runs on."""
    for path, name in _cases():
        _checker(path, name)(None, lab=nb_lab)


def _code_runs(text: str, size: int = 30) -> set[str]:
    """Every run of ``size`` characters of ``text``, spaces squeezed."""
    squeezed = " ".join(text.split())
    return {squeezed[i : i + size] for i in range(len(squeezed) - size + 1)}


@pytest.mark.parametrize(("path", "name"), _cases(), ids=[f"{_prefix(p)}_{n}" for p, n in _cases()])
def test_hints_do_not_give_the_solution_away(path: Path, name: str) -> None:
    """No hint of an Exercise shares 30 characters in a row with the solution's code."""
    checker = _checker(path, name)
    if not isinstance(checker, Exercise):
        pytest.skip(f"{_prefix(path)} {name} is not an Exercise yet")
    solution = _load(path)
    code = inspect.getsource(getattr(solution, name))
    body = code.split('"""', 2)[-1] if code.count('"""') >= 2 else code  # not the docstring
    shared = {run for hint in checker.hints for run in _code_runs(hint) & _code_runs(body)}
    assert not shared, f"a hint of {name} repeats the solution: {sorted(shared)[:3]}"
