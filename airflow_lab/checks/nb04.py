"""Checkers for notebook 04 · DAGs, operators and tasks.

Exercises 1 and 2 are hands-on: the learner's DAG file goes into the learner
bundle and is judged by what the dag-processor made of it (the parsed graph, or
the import error with file:line). Exercises 3 and 4 are quizzes whose truth comes
from the installed Airflow (the operator classes, ``DAG.check_cycle()``).
"""

from __future__ import annotations

import importlib
from typing import Any

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe

# ---- exercise 1: a DAG of a given shape ----
SHAPE_FILE = "ex04_1_shape.py"
SHAPE_DAG = "ex04_1_shape"
#: task id -> downstream task ids: two downloads fan in to merge, which fans out.
SHAPE = {
    "download_a": ["merge"],
    "download_b": ["merge"],
    "merge": ["archive", "publish"],
    "publish": [],
    "archive": [],
}


def _parse_shape(source: str, lab: Any) -> observe.ParsedDag:
    return observe.parse_dag_file(lab, SHAPE_FILE, source, SHAPE_DAG)


def _wrong_tasks(seen: observe.ParsedDag) -> bool:
    return not seen.import_error and not seen.missing and set(seen.graph) != set(SHAPE)


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "a DAG file's source as a string; reread section 2 (what `>>` records) and the fan-out "
        "and fan-in with a list on one side of `>>`",
        "five EmptyOperator tasks inside `with DAG(dag_id='ex04_1_shape', ...)`; one line with a "
        "list on the left of the first `>>` and a list on the right of the second",
    ),
    observe=_parse_shape,
    right=lambda seen: not seen.import_error and seen.graph == SHAPE,
    mistakes=[
        *not_parsed(SHAPE_DAG),
        Mistake(
            _wrong_tasks,
            lambda seen: (
                f"Airflow parsed the tasks {sorted(seen.graph)}; the shape needs "
                f"exactly {sorted(SHAPE)}"
            ),
            fix="one task per name, each task_id spelled as asked",
        ),
    ],
    explain=lambda seen: f"{seen.describe()}: not the shape asked for",
    fix="both downloads come before merge, and merge before publish and archive, nothing else",
    success=lambda seen: f"{seen.describe()}: a fan-in to merge, then a fan-out",
)

# ---- exercise 2: fix a DAG that Airflow cannot import ----
FIX_FILE = "ex04_2_fixed.py"
FIX_DAG = "ex04_2_fixed"
FIX_GRAPH = {"fetch": ["transform"], "transform": ["load"], "load": []}
#: The DAG the learner starts from: it has two faults, and Airflow reports them one at a time.
BROKEN_SOURCE = '''"""ex04_2: a DAG with two faults for the learner to fix (notebook 04, exercise 2)."""
from __future__ import annotations

from datetime import UTC, datetime

from airflow.operators.bash_operator import BashOperator
from airflow.sdk import DAG

with DAG(
    dag_id="ex04_2_fixed",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "exercise"],
):
    fetch = BashOperator(task_id="fetch", bash_command="echo fetch")
    transform = BashOperator(task_id="transform", bash_command="echo transform")
    load = BashOperator(task_id="load", bash_command="echo load")
    fetch >> transform >> load
    load >> fetch
'''

exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "Airflow names each fault as an import error with file and line; reread section 1 "
        "(where operators live in Airflow 3) and section 3 (what the dag-processor does with a cycle)",
        "the first fault is a module path from Airflow 1/2 (the provider path replaced it); "
        "the second is one dependency too many: keep fetch, then transform, then load",
    ),
    observe=lambda source, lab: observe.parse_dag_file(lab, FIX_FILE, source, FIX_DAG),
    right=lambda seen: not seen.import_error and seen.graph == FIX_GRAPH,
    mistakes=[
        *not_parsed(FIX_DAG),
    ],
    explain=lambda seen: f"{seen.describe()}: the DAG imports now, but its graph changed",
    fix="keep the three tasks and the chain fetch, transform, load; remove only what is wrong",
    success=lambda seen: f"{seen.describe()}: Airflow imports it without an error",
)

# ---- exercise 3: operator kinds (a quiz; the installed classes say what is right) ----
#: Where each operator of exercise 3 lives in the installed providers.
OPERATORS = {
    "BashOperator": "airflow.providers.standard.operators.bash",
    "GenericTransfer": "airflow.providers.common.sql.operators.generic_transfer",
    "FileSensor": "airflow.providers.standard.sensors.filesystem",
    "SQLExecuteQueryOperator": "airflow.providers.common.sql.operators.sql",
    "HttpSensor": "airflow.providers.http.sensors.http",
}
KINDS = ("action", "transfer", "sensor")


def operator_kind(cls: type) -> str:
    """The seed's kind of an operator class: sensors by base class, transfers by module."""
    from airflow.sdk import BaseSensorOperator

    if issubclass(cls, BaseSensorOperator):
        return "sensor"
    return "transfer" if "transfer" in cls.__module__ else "action"


def _judge_kinds(answer: dict, lab: Any) -> dict:
    given = {str(k): str(v).strip().lower() for k, v in answer.items()}
    truth = {
        name: operator_kind(getattr(importlib.import_module(module), name))
        for name, module in OPERATORS.items()
    }
    return {
        "missing": sorted(set(OPERATORS) - set(given)),
        "unknown": sorted(k for k, v in given.items() if k in truth and v not in KINDS),
        "wrong": sorted(k for k in truth if k in given and given[k] != truth[k]),
    }


exercise_3 = Exercise(
    "exercise_3",
    answer=dict,
    hints=(
        "the table and the code of section 4: Airflow marks only one kind with a base class",
        "a sensor is a subclass of BaseSensorOperator; a transfer takes a source and a "
        "destination connection; everything else does the work itself",
    ),
    observe=_judge_kinds,
    right=lambda seen: not (seen["missing"] or seen["unknown"] or seen["wrong"]),
    mistakes=[
        Mistake(lambda seen: seen["missing"], "no kind given for {missing}"),
        Mistake(lambda seen: seen["unknown"], f"use one of {KINDS} for {{unknown}}"),
    ],
    explain="the installed classes disagree for {wrong}",
    fix="check issubclass(cls, BaseSensorOperator) and which connections the operator takes",
    success="BashOperator and SQLExecuteQueryOperator act, GenericTransfer moves rows between "
    "two connections, FileSensor and HttpSensor wait (both are BaseSensorOperators)",
    needs_lab=False,
)

# ---- exercise 4: which task does check_cycle() name? (a quiz; Airflow says) ----
CYCLE_TASKS = ("extract", "transform", "validate", "load")


def cycle_faulty_task() -> str:
    """Build exercise 4's DAG and return the task that ``check_cycle()`` names."""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
    from airflow.sdk.exceptions import AirflowDagCycleException

    with DAG(dag_id="nb04_exercise_cycle", schedule=None) as cyc:
        extract, transform, validate, load = (EmptyOperator(task_id=t) for t in CYCLE_TASKS)
        extract >> transform >> validate >> load
        validate >> transform
    try:
        cyc.check_cycle()
    except AirflowDagCycleException as e:
        return str(e).rsplit(" ", 1)[-1]
    raise AssertionError("exercise 4's DAG has no cycle: the checker itself is broken")


def _judge_cycle(answer: str, lab: Any) -> dict:
    given = answer.strip().strip("'\"")
    return {"given": given, "named": cycle_faulty_task()}


exercise_4 = Exercise(
    "exercise_4",
    answer=str,
    hints=(
        "section 3: `check_cycle()` raises an exception whose message names one task",
        "run it and read the message's end; it names the task whose downstream edge leads "
        "back onto the path being walked, not the task the walk returns to",
    ),
    observe=_judge_cycle,
    right=lambda seen: seen["given"] == seen["named"],
    mistakes=[
        Mistake(
            lambda seen: seen["given"] not in CYCLE_TASKS,
            f"{{given!r}} is not a task of the exercise's DAG ({', '.join(CYCLE_TASKS)})",
        ),
    ],
    explain="check_cycle() does not name {given!r}",
    fix="build the DAG, call check_cycle() and read the end of the exception's message",
    success="check_cycle() walks depth-first from extract and stops at {named!r}: its "
    "downstream edge leads back to transform, which is still on the current path",
    needs_lab=False,
)
