"""Solutions for notebook 01 · Why Airflow.

They read the lab's newest successful run of ``why_airflow_chain``, so run the
notebook (at least sections 2 and 3) first. Each ``exercise_N(lab)`` returns an
answer that ``airflow_lab.checks.nb01.exercise_N`` accepts; ``WRONG`` holds a
typical mistake per exercise with words its message says.
"""

from __future__ import annotations

from airflow_lab.checks.nb01 import DAG_ID, latest_run_id, transform_tries


def exercise_1(lab):
    """The latest try's number is the number of tries."""
    run_id = latest_run_id(lab)
    return int(
        lab.runs.task_instances(DAG_ID, run_id).set_index("task_id").loc["transform", "try_number"]
    )


def exercise_2(lab):
    """Upstream of load: every task that lists load downstream."""
    tasks = lab.api.get(f"/api/v2/dags/{DAG_ID}/tasks")["tasks"]
    return {t["task_id"] for t in tasks if "load" in t["downstream_task_ids"]}


def exercise_3(lab):
    """The try whose log holds the ConnectionError."""
    run_id = latest_run_id(lab)
    for attempt in transform_tries(lab, run_id):
        log = lab.api.task_log(DAG_ID, run_id, "transform", try_number=attempt["try_number"])
        if "ConnectionError" in log:
            return attempt["try_number"]
    raise AssertionError("no try of transform logged a ConnectionError")


WRONG = {
    "exercise_1": (1, "retries only"),  # the retries, not the tries
    "exercise_2": ({"transform"}, "more tasks upstream"),  # forgets the folder from extract
    "exercise_3": (2, "no ConnectionError"),  # the successful try
}
