"""Checkers for notebook 04 · DAGs, operators and tasks.

Each checker derives the right answer from the installed Airflow (the DAG's own
task sets, the operator classes, ``DAG.check_cycle()``), not from a stored string.
"""

from __future__ import annotations

import importlib
from typing import Any

from airflow_lab.checks import exercise, expect, passed

#: Where each operator of exercise 2 lives in the installed providers.
OPERATORS = {
    "BashOperator": "airflow.providers.standard.operators.bash",
    "GenericTransfer": "airflow.providers.common.sql.operators.generic_transfer",
    "FileSensor": "airflow.providers.standard.sensors.filesystem",
    "SQLExecuteQueryOperator": "airflow.providers.common.sql.operators.sql",
    "HttpSensor": "airflow.providers.http.sensors.http",
}
KINDS = ("action", "transfer", "sensor")
SHAPE = {"download_a": {"merge"}, "download_b": {"merge"}, "merge": set()}
CYCLE_TASKS = ("extract", "transform", "validate", "load")


def operator_kind(cls: type) -> str:
    """The seed's kind of an operator class: sensors by base class, transfers by module."""
    from airflow.sdk import BaseSensorOperator

    if issubclass(cls, BaseSensorOperator):
        return "sensor"
    return "transfer" if "transfer" in cls.__module__ else "action"


def cycle_faulty_task() -> str:
    """Build exercise 3's DAG and return the task that ``check_cycle()`` names."""
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
    raise AssertionError("exercise 3's DAG has no cycle: the checker itself is broken")


@exercise(
    "with DAG(...) as my_dag: three EmptyOperators, then [download_a, download_b] >> merge; answer = my_dag"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        hasattr(answer, "tasks") and hasattr(answer, "task_ids"),
        f"`answer` should be the DAG object itself, got {type(answer).__name__}",
        "answer = my_dag (the name after `as` in `with DAG(...) as my_dag:`)",
    )
    ids = set(answer.task_ids)
    expect(
        ids == set(SHAPE),
        f"the DAG has tasks {sorted(ids)}; it needs exactly {sorted(SHAPE)}",
        "create EmptyOperator(task_id='download_a'), ... inside the `with DAG` block",
    )
    got = {t.task_id: set(t.downstream_task_ids) for t in answer.tasks}
    for task_id, downstream in SHAPE.items():
        expect(
            got[task_id] == downstream,
            f"{task_id}.downstream_task_ids is {sorted(got[task_id]) or 'empty'}, "
            f"it should be {sorted(downstream) or 'empty'}",
            "both downloads point at merge and nowhere else: [download_a, download_b] >> merge",
        )
    merge = answer.get_task("merge")
    expect(
        set(merge.upstream_task_ids) == {"download_a", "download_b"},
        f"merge.upstream_task_ids is {sorted(merge.upstream_task_ids)}",
        "merge must wait for both downloads",
    )
    answer.check_cycle()
    return passed(
        "download_a and download_b have no upstream and both list merge downstream; "
        "merge.upstream_task_ids == {'download_a', 'download_b'}: a fan-in."
    )


@exercise('a dict like {"BashOperator": "action", ...}; sensors subclass BaseSensorOperator')
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, dict),
        f"`answer` should be a dict of operator name -> kind, got {type(answer).__name__}",
        'e.g. {"BashOperator": "action", "GenericTransfer": "...", ...}',
    )
    missing = sorted(set(OPERATORS) - set(answer))
    expect(not missing, f"no kind given for {missing}", f"name all five: {sorted(OPERATORS)}")
    for name, module in OPERATORS.items():
        given = str(answer[name]).strip().lower()
        expect(given in KINDS, f"{name}: {answer[name]!r} is not one of {KINDS}")
        cls = getattr(importlib.import_module(module), name)
        right = operator_kind(cls)
        why = {
            "sensor": f"{name} is a subclass of BaseSensorOperator: it waits by calling poke()",
            "transfer": f"{name} moves rows from source_conn_id to destination_conn_id",
            "action": f"{name} does its work itself and is no BaseSensorOperator",
        }[right]
        expect(given == right, f"{name} is not a {given} operator", why)
    return passed(
        "BashOperator and SQLExecuteQueryOperator act, GenericTransfer moves data between "
        "two connections, FileSensor and HttpSensor wait (both are BaseSensorOperators)."
    )


@exercise(
    "catch AirflowDagCycleException as e around cyc.check_cycle(); the task id is the last word of str(e)"
)
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"`answer` should be a task id (a string), got {type(answer).__name__}",
        "the message ends with `Faulty task: <task_id>`",
    )
    given = answer.strip().strip("'\"")
    expect(
        given in CYCLE_TASKS,
        f"{given!r} is not a task of the exercise's DAG",
        f"the tasks are {', '.join(CYCLE_TASKS)}",
    )
    right = cycle_faulty_task()
    expect(
        given == right,
        f"check_cycle() does not name {given!r}",
        "run the DAG's check_cycle() and read the last word of the message: the task whose "
        "downstream edge leads back onto the path being walked",
    )
    return passed(
        f"check_cycle() walks depth-first from extract and stops at {right!r}: its downstream "
        "edge leads back to transform, which is still on the current path."
    )
