"""Checkers for notebook 01 · Why Airflow.

The answers come from the lab: the newest successful run of ``why_airflow_chain``
in the metastore, its task graph from the REST API, and its logs per try.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import exercise, expect, passed

DAG_ID = "why_airflow_chain"


def latest_run_id(lab: Any) -> str:
    """The newest successful run of the notebook's DAG (the one section 3 made)."""
    runs = lab.sql(
        "SELECT run_id FROM dag_run WHERE dag_id = %s AND state = 'success' "
        "ORDER BY start_date DESC LIMIT 1",
        (DAG_ID,),
        database="airflow",
    )
    expect(
        not runs.empty,
        f"no successful run of {DAG_ID} in this lab's metastore",
        "run sections 2 and 3 of the notebook first (write the DAG, then lab.run it)",
    )
    return str(runs.iloc[0, 0])


def transform_tries(lab: Any, run_id: str) -> list[dict]:
    """``GET .../taskInstances/transform/tries``: every try of the flaky task."""
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/transform/tries"
    return lab.api.get(path)["task_instances"]


def _int(answer: Any) -> int:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"the answer should be an int, got {type(answer).__name__} {answer!r}",
    )
    return answer


@exercise("the try_number of transform's row in task_instance, for the run of section 3")
def exercise_1(answer: Any, lab: Any = None) -> str:
    tries = _int(answer)
    run_id = latest_run_id(lab)
    row = lab.sql(
        "SELECT try_number, state FROM task_instance "
        "WHERE dag_id = %s AND run_id = %s AND task_id = 'transform'",
        (DAG_ID, run_id),
        database="airflow",
    ).iloc[0]
    expect(
        tries != row.try_number - 1,
        f"{tries} counts the retries; the question asks for all the tries, the first one included",
        "try_number counts from 1: the first try is try 1",
    )
    expect(
        tries == row.try_number,
        f"{tries} is not what the metastore says for transform in run {run_id}",
        "SELECT try_number FROM task_instance WHERE task_id = 'transform' AND run_id = ...",
    )
    return passed(
        f"transform needed {tries} tries in {run_id}: it failed once and its retry succeeded"
    )


@exercise("the tasks whose downstream list (in `edges`) contains 'load'")
def exercise_2(answer: Any, lab: Any = None) -> str:
    if isinstance(answer, str):
        answer = {answer}
    expect(
        isinstance(answer, (set, frozenset, list, tuple)),
        f"the answer should be a set of task ids, got {type(answer).__name__}",
        'e.g. {"extract", "transform"}',
    )
    given = {str(task) for task in answer}
    tasks = lab.api.get(f"/api/v2/dags/{DAG_ID}/tasks")["tasks"]
    upstream = {t["task_id"] for t in tasks if "load" in t["downstream_task_ids"]}
    missing, extra = upstream - given, given - upstream
    expect(
        not missing,
        f"{sorted(given)} misses {sorted(missing)}: load(folder, transform(folder)) takes "
        "`folder` from extract as well as the count from transform",
        "every task whose return value a task receives is upstream of it",
    )
    expect(
        not extra,
        f"{sorted(extra)} is not directly upstream of load",
        "only direct dependencies count: look for 'load' in each task's downstream list",
    )
    return passed(f"load waits for {sorted(upstream)}: passing a task's result makes it upstream")


@exercise(
    "fetch each try's log with lab.api.task_log(..., try_number=N) and look for ConnectionError"
)
def exercise_3(answer: Any, lab: Any = None) -> str:
    try_number = _int(answer)
    run_id = latest_run_id(lab)
    numbers = [t["try_number"] for t in transform_tries(lab, run_id)]
    expect(
        try_number in numbers,
        f"transform has no try {try_number} in {run_id}; its tries are {numbers}",
    )
    log = lab.api.task_log(DAG_ID, run_id, "transform", try_number=try_number)
    expect(
        "ConnectionError" in log,
        f"the log of try {try_number} has no ConnectionError: that try did not fail",
        "the failed try is the one whose state is 'failed'",
    )
    return passed(
        f"try {try_number}'s log holds the error; each try has its own log file, kept after a retry"
    )
