"""Solutions to notebook 10 · Multi node: the queue outside the executor.

Each ``exercise_N(lab)`` takes the live lab (in the notebook: ``multi``, the
multi-node stack) and returns an answer that ``airflow_lab.checks.nb10.exercise_N``
accepts; ``WRONG`` holds, per exercise, a typical wrong answer and words its
checker's message must contain. The DAGs are the notebook's starters with the fix.
"""

from __future__ import annotations

TWO_AT_A_TIME = '''
"""Exercise 10.1: six task instances, at most two of them running at once."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from airflow.sdk import DAG, task

with DAG(
    "ex10_1_two_at_a_time",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    DAG_LIMIT
    # retries for a busy laptop, where a task's start can time out
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["lab", "ex10"],
):

    @task(TASK_LIMIT)
    def work(i: int) -> int:
        time.sleep(2)
        return i

    work.expand(i=list(range(6)))
'''

FILE_HANDOFF = '''
"""Exercise 10.2: process_nft hands one row to store_nft, on whichever worker each runs."""
from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task

CSV = Path(tempfile.gettempdir()) / "ex10_2_processed_nft.csv"

with DAG(
    "ex10_2_xcom_handoff",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    # retries for a busy laptop, where a task's start can time out
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["lab", "ex10"],
):

    @task
    def process_nft() -> None:
        CSV.write_text("1,Doodle #1,https://nft-lab.invalid/1.svg")

    @task
    def store_nft() -> None:
        token_id, name, image_url = CSV.read_text().split(",")
        print(f"storing token {token_id}: {name}")

    process_nft() >> store_nft()
'''


def exercise_1(lab):
    """A per-task limit: at most two instances of `work` run at the same time."""
    return TWO_AT_A_TIME.replace("DAG_LIMIT\n", "").replace(
        "TASK_LIMIT", "max_active_tis_per_dag=2"
    )


def exercise_2(lab):
    """The row is process_nft's return value (an XCom), passed into store_nft."""
    return (
        FILE_HANDOFF.replace("def process_nft() -> None:", "def process_nft() -> str:")
        .replace(
            '        CSV.write_text("1,Doodle #1,https://nft-lab.invalid/1.svg")',
            '        return "1,Doodle #1,https://nft-lab.invalid/1.svg"',
        )
        .replace("def store_nft() -> None:", "def store_nft(row: str) -> None:")
        .replace("CSV.read_text().split", "row.split")
        .replace("process_nft() >> store_nft()", "store_nft(process_nft())")
    )


def exercise_3(lab):
    return "celery.broker_url"


WRONG = {
    # max_active_runs caps whole runs; one run still starts all six instances
    "exercise_1": (
        TWO_AT_A_TIME.replace("DAG_LIMIT", "max_active_runs=2,").replace("TASK_LIMIT", ""),
        "at the same time",
    ),
    # the seed's way: a file on the worker's disk, no XCom
    "exercise_2": (FILE_HANDOFF, "no XCom from process_nft"),
    "exercise_3": ("celery.result_backend", "not the queue"),
}
