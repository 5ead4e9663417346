"""Solutions for notebook 07 · The whole pipeline.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb07.exercise_N``
accepts; ``WRONG`` holds, per exercise, a typical mistake and words its message says.
"""

from __future__ import annotations

from datetime import timedelta


def exercise_1(lab):
    """Two failures in a row need at least two retries; a short wait keeps the run quick."""
    return {"retries": 4, "retry_delay": timedelta(seconds=2)}


def exercise_2(lab):
    """The table and the API check start together; the load waits for both branches."""
    return """
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="ex07_2_parallel_start",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["exercise"],
) as dag:
    creating_table = EmptyOperator(task_id="creating_table")
    is_api_available = EmptyOperator(task_id="is_api_available")
    extract_nft = EmptyOperator(task_id="extract_nft")
    process_nft = EmptyOperator(task_id="process_nft")
    store_nft = EmptyOperator(task_id="store_nft")

    is_api_available >> extract_nft >> process_nft
    [process_nft, creating_table] >> store_nft
"""


def exercise_3(lab):
    """One task instance per task, reruns or not."""
    runs = lab.api.dag_runs("nft-pipeline", state="success", order_by="-end_date", limit=1)
    return len(lab.api.task_instances("nft-pipeline", runs[0]["dag_run_id"]))


_SEED_CHAIN = """
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(dag_id="ex07_2_parallel_start", schedule=None,
         start_date=datetime(2024, 1, 1, tzinfo=UTC), catchup=False, tags=["exercise"]) as dag:
    creating_table = EmptyOperator(task_id="creating_table")
    is_api_available = EmptyOperator(task_id="is_api_available")
    extract_nft = EmptyOperator(task_id="extract_nft")
    process_nft = EmptyOperator(task_id="process_nft")
    store_nft = EmptyOperator(task_id="store_nft")
    creating_table >> is_api_available >> extract_nft >> process_nft >> store_nft
"""

WRONG = {
    # The default: no retries, so the first 500 fails the run.
    "exercise_1": ({"retries": 0}, "no retries"),
    # The seed's chain: everything in one line.
    "exercise_2": (_SEED_CHAIN, "still waits for the table"),
    # Counting the DagRun as well.
    "exercise_3": (6, "counts the DagRun"),
}
