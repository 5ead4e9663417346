"""Solutions for notebook 05 · The life of a DAG.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb05.exercise_N``
accepts; ``WRONG`` holds a typical mistake per exercise with words its message must contain.
"""

from __future__ import annotations

from airflow_lab.checks.nb05 import PARALLEL_SOURCE


def exercise_1(lab):
    """Daily, from the first to the last day, with catchup: three scheduled runs."""
    return '''"""ex05_1: one run per day, from the 1st to the 3rd of January 2024 (notebook 05, exercise 1)."""
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="ex05_1_scheduled",
    schedule="@daily",
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    end_date=datetime(2024, 1, 3, tzinfo=UTC),
    catchup=True,
    tags=["lab", "exercise"],
):
    EmptyOperator(task_id="say_done")
'''


def exercise_2(lab):
    """At most one running task instance per run of the DAG: max_active_tasks=1."""
    return PARALLEL_SOURCE.replace(
        "    catchup=False,\n", "    catchup=False,\n    max_active_tasks=1,\n"
    )


def exercise_3(lab):
    """Handed to the executor, waiting for a worker slot."""
    return "queued"


def exercise_4(lab):
    """Airflow 3's separate parsing component: `airflow dag-processor`."""
    return "dag-processor"


WRONG = {
    # catchup left off: with an end date in the past, nothing is due any more
    "exercise_1": (exercise_1(None).replace("catchup=True", "catchup=False"), "no run"),
    # an edge serialises them too, but changes the graph
    "exercise_2": (
        PARALLEL_SOURCE.replace(
            "prepare >> [work_a, work_b] >> report",
            "prepare >> work_a >> work_b >> report",
        ),
        "graph changed",
    ),
    # one state too early: decided, but not yet handed to the executor
    "exercise_3": ("scheduled", "comes earlier"),
    # the seed's answer, true before Airflow 3
    "exercise_4": ("scheduler", "never imports"),
}
