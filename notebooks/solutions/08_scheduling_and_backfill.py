"""Solutions for notebook 08 · Scheduling, catchup and backfill.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb08.exercise_N``
accepts; ``WRONG`` holds, per exercise, a typical mistake and words its message says.
"""

from __future__ import annotations

from datetime import UTC, datetime


def exercise_1(lab):
    """Both dates inclusive; `failed` redoes the Wednesday whose run failed."""
    return (
        "airflow backfill create --dag-id ex08_1_daily_load "
        "--from-date 2024-03-04 --to-date 2024-03-10 --reprocess-behavior failed"
    )


def exercise_2(lab):
    """Minute 30, hour 6, any day of the month, any month, Monday to Friday."""
    return """
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG(
    dag_id="ex08_2_weekday_mornings",
    schedule="30 6 * * 1-5",
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["exercise"],
) as dag:
    EmptyOperator(task_id="report")
"""


def exercise_3(lab):
    """CronTriggerTimetable: the interval of the run of D is the instant [D, D]."""
    return datetime(2021, 6, 15, tzinfo=UTC)


WRONG = {
    # The default reprocess behaviour leaves the failed Wednesday alone.
    "exercise_1": (
        "airflow backfill create --dag-id ex08_1_daily_load "
        "--from-date 2024-03-04 --to-date 2024-03-10",
        "skipped",
    ),
    # Day of week 0-4 is Sunday to Thursday.
    "exercise_2": (
        exercise_2(None).replace("1-5", "0-4"),
        "weekend",
    ),
    # Airflow 2's CronDataIntervalTimetable answer.
    "exercise_3": ("2021-06-16T00:00:00+00:00", "Airflow 2"),
}
