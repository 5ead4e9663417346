"""Checkers for notebook 01 · Why Airflow.

The answers are read from what Airflow recorded about the run of section 3: the
newest successful run of ``why_airflow_chain`` in the metastore, its task graph
from the REST API, and the log of each try.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import Exercise, Mistake
from airflow_lab.errors import CheckFailed

DAG_ID = "why_airflow_chain"


def latest_run_id(lab: Any) -> str:
    """The newest successful run of the notebook's DAG (the one section 3 made)."""
    runs = lab.sql(
        "SELECT run_id FROM dag_run WHERE dag_id = %s AND state = 'success' "
        "ORDER BY start_date DESC LIMIT 1",
        (DAG_ID,),
        database="airflow",
    )
    if runs.empty:
        raise CheckFailed(
            f"no successful run of {DAG_ID} in this lab's metastore",
            hint="run sections 2 and 3 of the notebook first (write the DAG, then run it)",
        )
    return str(runs.iloc[0, 0])


def transform_tries(lab: Any, run_id: str) -> list[dict]:
    """``GET .../taskInstances/transform/tries``: every try of the flaky task."""
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/transform/tries"
    return lab.api.get(path)["task_instances"]


def _tries_seen(answer: int, lab: Any) -> dict:
    run_id = latest_run_id(lab)
    row = lab.sql(
        "SELECT try_number FROM task_instance "
        "WHERE dag_id = %s AND run_id = %s AND task_id = 'transform'",
        (DAG_ID, run_id),
        database="airflow",
    ).iloc[0]
    return {"answer": answer, "run_id": run_id, "tries": int(row.try_number)}


exercise_1 = Exercise(
    "exercise_1",
    answer=int,
    hints=(
        "a task instance's row in the metastore counts its tries (section 3, the task_instance "
        "table)",
        "the counter starts at 1 for the first try and grows by one per retry",
    ),
    observe=_tries_seen,
    right=lambda seen: seen["answer"] == seen["tries"],
    mistakes=[
        Mistake(
            lambda seen: seen["answer"] == seen["tries"] - 1,
            "{answer} counts the retries only",
            fix="the question asks for all the tries, the first one included",
        ),
    ],
    explain="{answer} is not what the metastore's task_instance row of transform says for {run_id}",
    fix="read the row rather than guessing",
    success="transform needed {tries} tries in {run_id}: it failed, and a retry succeeded",
)


def _upstream_seen(answer: Any, lab: Any) -> dict:
    given = {answer} if isinstance(answer, str) else {str(task) for task in answer}
    tasks = lab.api.get(f"/api/v2/dags/{DAG_ID}/tasks")["tasks"]
    upstream = {t["task_id"] for t in tasks if "load" in t["downstream_task_ids"]}
    return {
        "given": sorted(given),
        "missing": sorted(upstream - given),
        "extra": sorted(given - upstream),
    }


exercise_2 = Exercise(
    "exercise_2",
    answer=(set, frozenset, list, tuple, str),
    hints=(
        "in TaskFlow, passing one task's return value to another makes a dependency "
        "(section 2; the graph Airflow parsed is in section 3)",
        "count every argument of load that is another task's result",
    ),
    observe=_upstream_seen,
    right=lambda seen: not seen["missing"] and not seen["extra"],
    mistakes=[
        Mistake(
            lambda seen: bool(seen["missing"]),
            "Airflow's graph has more tasks upstream of load than {given}",
            fix="every task whose return value load receives is upstream of it",
        ),
        Mistake(
            lambda seen: bool(seen["extra"]),
            "{extra} is not directly upstream of load in the graph Airflow parsed",
            fix="only direct dependencies count",
        ),
    ],
    success="load waits for {given}: passing a task's result makes it upstream",
)


def _log_seen(answer: int, lab: Any) -> dict:
    run_id = latest_run_id(lab)
    numbers = [t["try_number"] for t in transform_tries(lab, run_id)]
    log = (
        lab.api.task_log(DAG_ID, run_id, "transform", try_number=answer)
        if answer in numbers
        else ""
    )
    return {
        "answer": answer,
        "run_id": run_id,
        "numbers": numbers,
        "exists": answer in numbers,
        "has_error": "ConnectionError" in log,
    }


exercise_3 = Exercise(
    "exercise_3",
    answer=int,
    hints=(
        "Airflow keeps one log per try of a task instance, and the REST API serves each by its "
        "try number (section 3)",
        "fetch the log of each try of transform and look for the exception",
    ),
    observe=_log_seen,
    right=lambda seen: seen["has_error"],
    mistakes=[
        Mistake(
            lambda seen: not seen["exists"],
            "transform has no try {answer} in {run_id}; its tries are {numbers}",
        ),
    ],
    explain="the log of try {answer} holds no ConnectionError: that try did not fail",
    fix="the failed try is the one whose state is 'failed'",
    success="try {answer}'s log holds the error; each try keeps its own log after a retry",
)
