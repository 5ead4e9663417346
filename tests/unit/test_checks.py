"""The declarative checker (``airflow_lab.checks``): what a learner sees for each kind of answer.

No stack here: ``observe`` is a plain function standing in for Airflow's reaction,
so that every branch of an :class:`Exercise` is exercised in isolation. The real
reactions are judged in tests/notebooks/test_solutions.py, on the live stack.
"""

from __future__ import annotations

import pytest

from airflow_lab.checks import CheckFailed, Exercise, Mistake, not_parsed, quote
from airflow_lab.checks.observe import ParsedDag

COUNT = Exercise(
    "exercise_1",
    answer=int,
    hints=("task instances, section 3", "one per task and run"),
    observe=lambda answer, lab: {"answer": answer, "count": 5},
    right=lambda seen: seen["answer"] == seen["count"],
    mistakes=[
        Mistake(
            lambda seen: seen["answer"] == 6, "{answer} counts the DagRun too", fix="count tasks"
        )
    ],
    explain="Airflow holds a different number of rows than {answer}",
    success="{count} task instances",
    needs_lab=False,
)


def test_no_answer_prints_the_first_hint_and_points_at_the_second(capsys) -> None:
    assert COUNT(None) is None
    said = capsys.readouterr().out
    assert "Not answered yet" in said and "task instances, section 3" in said
    assert "exercise_1.hint(2)" in said


def test_the_second_hint_is_the_last_and_points_nowhere(capsys) -> None:
    line = COUNT.hint(2)
    assert line == "Hint 2: one per task and run"
    assert COUNT.hint(9) == line  # asking past the last gives the last


def test_a_wrong_type_is_named() -> None:
    with pytest.raises(CheckFailed, match="should be an int, got str"):
        COUNT("5")
    with pytest.raises(CheckFailed, match="got bool"):
        COUNT(True)  # a bool is an int to Python, never an answer here


def test_a_known_mistake_gets_its_own_message_and_fix() -> None:
    with pytest.raises(CheckFailed) as info:
        COUNT(6)
    assert "6 counts the DagRun too" in str(info.value)
    assert "count tasks" in str(info.value)


def test_an_unknown_mistake_gets_the_explanation_without_the_answer() -> None:
    with pytest.raises(CheckFailed) as info:
        COUNT(3)
    assert "different number of rows than 3" in str(info.value)
    assert "5" not in str(info.value)


def test_the_right_answer_passes_with_what_airflow_saw(capsys) -> None:
    assert COUNT(5) == "✓ Correct: 5 task instances"
    assert "✓ Correct" in capsys.readouterr().out


def test_a_checker_that_needs_the_lab_says_so() -> None:
    needs = Exercise(
        "exercise_2", int, ("h",), lambda a, lab: a, lambda s: True, "ok", needs_lab=True
    )
    with pytest.raises(CheckFailed, match="lab=lab"):
        needs(1)


@pytest.mark.parametrize(
    ("parsed", "words"),
    [
        (ParsedDag("ex", import_error="ex.py:7: SyntaxError: invalid syntax"), "ex.py:7"),
        (ParsedDag("ex", missing=True), "lists no DAG with the id 'ex'"),
    ],
)
def test_a_dag_that_did_not_parse_is_told_the_same_way_everywhere(parsed, words) -> None:
    shape = Exercise(
        "exercise_3",
        str,
        ("h",),
        observe=lambda answer, lab: {"parsed": parsed},
        right=lambda seen: True,
        mistakes=not_parsed("ex", lambda seen: seen["parsed"]),
        success="parsed",
        needs_lab=False,
    )
    with pytest.raises(CheckFailed) as info:
        shape("source")
    assert words in str(info.value)


def test_quote_drops_the_cli_list_of_choices_that_holds_the_answer() -> None:
    said = "airflow command error: argument COMMAND: invalid choice: 'tets' (choose from 'test', 'run')"
    assert quote(said) == "airflow command error: argument COMMAND: invalid choice: 'tets'"
    assert len(quote("x" * 500)) == 200
