"""Solutions to notebook 11 · Failure and recovery.

Each function takes the live lab and returns the answer its checker accepts.
"""

from __future__ import annotations


def exercise_1(lab):
    # In the notebook: len(lab.runs.tries(lab.settings.dag_id, run_b).query("task_id == 'extract_nft'")) before the
    # clear. Without that run at hand: the first try plus one per retry.
    retries = int(lab.api.get("/api/v2/dags/nft-pipeline/tasks/extract_nft")["retries"])
    return retries + 1


def exercise_2(lab):
    return "POST /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/clear"


def exercise_3(lab):
    return "up_for_retry"


WRONG = {
    "exercise_1": 2,  # the retries, forgetting the first try
    "exercise_2": "PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}",  # sets a run's state
    "exercise_3": "queued",  # comes after the retry delay
}
