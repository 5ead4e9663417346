"""Solutions for notebook 08 · Scheduling, catchup and backfill.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb08.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

from datetime import UTC, datetime


def exercise_1(lab):
    """Ask the timetable of the DAG the scheduler holds (the serialized_dag row)."""
    from airflow.serialization.serialized_objects import DagSerialization
    from airflow.timetables.base import TimeRestriction

    row = lab.sql(
        "SELECT data FROM serialized_dag WHERE dag_id = 'nft-pipeline' "
        "ORDER BY created_at DESC LIMIT 1",
        database="airflow",
    ).iloc[0]
    timetable = DagSerialization.from_dict(row["data"]).timetable
    day = datetime(2021, 6, 15, tzinfo=UTC)
    info = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=day, latest=None, catchup=True),
    )
    return info.data_interval.end  # the same instant: CronTriggerTimetable


def exercise_2(lab):
    """Seven days, both ends inclusive: Airflow's planner agrees."""
    body = {
        "dag_id": "nft-pipeline",
        "from_date": "2025-03-03T00:00:00Z",
        "to_date": "2025-03-09T00:00:00Z",
        "reprocess_behavior": "completed",
    }
    return lab.api.request("POST", "/api/v2/backfills/dry_run", json=body)["total_entries"]


def exercise_3(lab):
    """Backfills have their own command group in Airflow 3."""
    return "airflow backfill create"


WRONG = {
    "exercise_1": "2021-06-16T00:00:00+00:00",  # Airflow 2's CronDataIntervalTimetable answer
    "exercise_2": 6,  # forgetting that --to-date is inclusive
    "exercise_3": "airflow dags backfill",  # the removed Airflow 2 command
}
