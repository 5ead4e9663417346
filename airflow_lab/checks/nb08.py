"""Checkers for notebook 08 · Scheduling, catchup and backfill.

The right answers come from the live stack: the timetable of the DAG the scheduler
holds (the newest ``serialized_dag`` row), Airflow's backfill planner
(``POST /api/v2/backfills/dry_run``) and the installed ``airflow`` CLI parser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow_lab.checks import exercise, expect, passed

DAG_ID = "nft-pipeline"
EXERCISE_1_LOGICAL_DATE = datetime(2021, 6, 15, tzinfo=UTC)
EXERCISE_2_RANGE = ("2025-03-03", "2025-03-09")


def scheduler_dag(lab: Any):
    """The DAG as the scheduler sees it: the newest serialized_dag row, deserialized."""
    from airflow.serialization.serialized_objects import DagSerialization

    rows = lab.sql(
        "SELECT data FROM serialized_dag WHERE dag_id = %s ORDER BY created_at DESC LIMIT 1",
        (DAG_ID,),
        database="airflow",
    )
    expect(not rows.empty, f"{DAG_ID} is not in the metastore", "is the stack up? `airflow-lab up`")
    return DagSerialization.from_dict(rows.iloc[0]["data"])


def data_interval_of(lab: Any, logical_date: datetime):
    """The data interval the DAG's timetable gives the run with ``logical_date``."""
    from airflow.timetables.base import TimeRestriction

    dag = scheduler_dag(lab)
    info = dag.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=logical_date, latest=None, catchup=True),
    )
    return info.data_interval


def _timestamp(answer: Any):
    import pandas as pd

    try:
        ts = pd.Timestamp(answer)
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def cli_error(argv: list[str]) -> str | None:
    """What the installed ``airflow`` CLI parser says about ``argv`` (None: it parses)."""
    from airflow.cli.cli_parser import get_parser
    from IPython.utils.capture import capture_output

    # capture_output also swallows the empty displays rich prints inside Jupyter
    with capture_output() as captured:
        try:
            get_parser().parse_args(argv)
        except SystemExit as exc:
            if exc.code:
                lines = captured.stderr.strip().splitlines()
                return lines[-1].replace(", see help above.", "") if lines else f"exit {exc.code}"
    return None


@exercise(
    "deserialize the DAG (section 2) and ask its timetable: next_dagrun_info(...).data_interval.end"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    import pandas as pd

    ts = _timestamp(answer)
    expect(
        ts is not None,
        f"could not read {answer!r} as a date and time",
        "answer a string like '2021-06-15T00:00:00+00:00' or a datetime",
    )
    interval = data_interval_of(lab, EXERCISE_1_LOGICAL_DATE)
    right = _timestamp(interval.end)
    expect(
        ts != right + pd.Timedelta(days=1),
        f"{ts.isoformat()} is Airflow 2's answer: its CronDataIntervalTimetable gave the run of D "
        "the interval [D, D+1 day)",
        "this stack's @daily is a CronTriggerTimetable (section 2): ask its next_dagrun_info",
    )
    expect(
        ts == right,
        f"{ts.isoformat()} is not the data interval end of the run with logical date "
        f"{EXERCISE_1_LOGICAL_DATE.isoformat()}",
        "call timetable.next_dagrun_info with TimeRestriction(earliest=that date, latest=None, "
        "catchup=True) and read .data_interval.end",
    )
    return passed(
        f"{right.isoformat()}: on Airflow 3.3 `@daily` is a CronTriggerTimetable, so the data interval "
        f"is the instant [{_timestamp(interval.start).isoformat()}, {right.isoformat()}], not a whole day"
    )


def planned_runs(lab: Any, from_date: str, to_date: str) -> int:
    """How many runs Airflow's backfill planner would create (existing finished runs included)."""
    body = {
        "dag_id": DAG_ID,
        "from_date": f"{from_date}T00:00:00Z",
        "to_date": f"{to_date}T00:00:00Z",
        "reprocess_behavior": "completed",
    }
    return lab.api.request("POST", "/api/v2/backfills/dry_run", json=body)["total_entries"]


@exercise(
    "one run per 00:00 tick from --from-date to --to-date; POST /api/v2/backfills/dry_run counts them"
)
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"answer a whole number of runs, got {type(answer).__name__} {answer!r}",
        "e.g. answer = 5",
    )
    right = planned_runs(lab, *EXERCISE_2_RANGE)
    expect(
        answer == right,
        f"{answer} runs is not what Airflow plans for {EXERCISE_2_RANGE[0]} .. {EXERCISE_2_RANGE[1]}",
        "both --from-date and --to-date are inclusive, and @daily ticks once a day at 00:00",
    )
    return passed(
        f"{right} runs: Airflow's planner (POST /api/v2/backfills/dry_run) makes one run per daily tick, "
        "both ends of the range included"
    )


@exercise("the Airflow 3 command group for backfills has its own name; section 4's table")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str) and answer.strip(),
        f"answer a command as a string, got {type(answer).__name__}",
        'e.g. answer = "airflow group subcommand"',
    )
    words = answer.strip().lstrip("$").split()
    expect(
        words[:1] == ["airflow"] and len(words) >= 3,
        f"{answer!r} should start with `airflow` and name a group and a subcommand",
        'e.g. answer = "airflow group subcommand"',
    )
    command = [w for w in words[1:] if not w.startswith("-")][:2]
    error = cli_error(command)
    expect(
        error is None or "--dag-id" in error or "required" in error,
        f"`airflow {' '.join(command)}` is not an Airflow 3.3 command. The CLI says: {error}",
        "run `airflow --help` (or read section 4) for the command that creates backfills",
    )
    expect(
        command == ["backfill", "create"],
        f"`airflow {' '.join(command)}` exists, but it does not create a backfill",
        "the replacement creates a backfill for a date range of one DAG",
    )
    parses = cli_error(
        [
            "backfill",
            "create",
            "--dag-id",
            DAG_ID,
            "--from-date",
            "2021-01-01",
            "--to-date",
            "2021-01-07",
        ]
    )
    expect(parses is None, f"the installed CLI rejects `airflow backfill create`: {parses}", "")
    return passed(
        "`airflow backfill create --dag-id ... --from-date ... --to-date ...` writes the backfill and its "
        "DagRuns to the metastore; the scheduler runs them (`airflow dags backfill` was removed in 3.0)"
    )
