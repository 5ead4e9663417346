"""Solutions for notebook 07 · The whole pipeline.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb07.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

DAG_ID = "nft-pipeline"


def _last_successful_run(lab) -> str:
    runs = lab.api.dag_runs(DAG_ID, state="success", order_by="-end_date", limit=1)
    return runs[0]["dag_run_id"]


def exercise_1(lab):
    """GET /api/v2/dags/nft-pipeline/dagRuns?state=success&order_by=-end_date&limit=1."""
    return _last_successful_run(lab)


def exercise_2(lab):
    """One task instance per task."""
    return len(lab.api.task_instances(DAG_ID, _last_successful_run(lab)))


def exercise_3(lab):
    """The largest ``duration`` among the run's task instances."""
    tis = lab.api.task_instances(DAG_ID, _last_successful_run(lab))
    return max(t["duration"] for t in tis if t["duration"] is not None)


WRONG = {
    "exercise_1": "2023-01-01",  # a logical date, not a run id
    "exercise_2": 6,  # counting the DagRun as well
    "exercise_3": -1.0,  # no task runs in negative time
}
