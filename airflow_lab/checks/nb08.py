"""Checkers for notebook 08 · Scheduling, catchup and backfill.

Exercise 1 runs the learner's ``airflow backfill create`` on a DAG whose Wednesday
failed and reads the runs, skip reasons and rows; exercise 2 reads the timetable of
the learner's cron-scheduled DAG; exercise 3 asks the DAG's own timetable.
"""

from __future__ import annotations

import shlex
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe

DAG_ID = "nft-pipeline"
EXERCISE_3_LOGICAL_DATE = datetime(2021, 6, 15, tzinfo=UTC)


def scheduler_dag(lab: Any, dag_id: str = DAG_ID):
    """The DAG as the scheduler sees it: the newest serialized_dag row, deserialized."""
    from airflow.serialization.serialized_objects import DagSerialization

    rows = lab.sql(
        "SELECT data FROM serialized_dag WHERE dag_id = %s ORDER BY created_at DESC LIMIT 1",
        (dag_id,),
        database="airflow",
    )
    if rows.empty:
        return None
    return DagSerialization.from_dict(rows.iloc[0]["data"])


EX1_DAG_ID = "ex08_1_daily_load"
EX1_TABLE = "ex08_1_days"
EX1_WEEK = [date(2024, 3, 4) + timedelta(days=d) for d in range(7)]  # Monday .. Sunday
EX1_FAILED_DAY = EX1_WEEK[2]  # the Wednesday

EX1_SOURCE = f'''"""Exercise 08-1: a daily load to backfill (written by airflow_lab.checks.nb08).

Each run stores one row: its logical date and its run id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

with DAG(
    dag_id="{EX1_DAG_ID}",
    schedule="@daily",
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    end_date=datetime(2024, 6, 30, tzinfo=UTC),
    catchup=False,
    tags=["exercise", "08"],
) as dag:
    store_day = SQLExecuteQueryOperator(
        task_id="store_day",
        conn_id="db_postgre",
        sql="INSERT INTO {EX1_TABLE} (day, run_id) VALUES (%(day)s, %(run_id)s)",
        parameters={{"day": "{{{{ ds }}}}", "run_id": "{{{{ run_id }}}}"}},
    )
'''


def _reset_ex1(lab: Any) -> None:
    """An empty table, no runs, no open backfill, and a failed run on the Wednesday."""
    from urllib.parse import quote

    lab.api.set_paused(EX1_DAG_ID, True)
    for old in lab.api.get("/api/v2/backfills", dag_id=EX1_DAG_ID, limit=100)["backfills"]:
        if old["completed_at"] is None:
            lab.api.request("PUT", f"/api/v2/backfills/{old['id']}/cancel")
    for run in lab.api.dag_runs(EX1_DAG_ID, limit=100):
        lab.api.request("DELETE", f"/api/v2/dags/{EX1_DAG_ID}/dagRuns/{quote(run['dag_run_id'])}")
    lab.execute(f"DROP TABLE IF EXISTS {EX1_TABLE}")
    lab.execute(f"CREATE TABLE {EX1_TABLE} (day DATE NOT NULL, run_id TEXT NOT NULL)")
    body = {"logical_date": f"{EX1_FAILED_DAY}T00:00:00Z", "dag_run_id": "failed_wednesday"}
    lab.api.request("POST", f"/api/v2/dags/{EX1_DAG_ID}/dagRuns", json=body)
    lab.api.request(
        "PATCH", f"/api/v2/dags/{EX1_DAG_ID}/dagRuns/failed_wednesday", json={"state": "failed"}
    )


def backfill_week(command: str, lab: Any) -> dict:
    """Run the learner's command on the prepared DAG; read the runs and rows per day."""
    seen: dict[str, Any] = {"command": command.strip(), "cli_error": None, "import_error": None}
    words = shlex.split(command.strip().lstrip("$ "))
    if words[:1] != ["airflow"]:
        seen["cli_error"] = "the command should start with `airflow`"
        return seen
    parsed = observe.parse_serialized(lab, f"{EX1_DAG_ID}.py", EX1_SOURCE, EX1_DAG_ID)
    if parsed.import_error:
        seen["import_error"] = parsed.describe()
        return seen
    _reset_ex1(lab)
    before = {b["id"] for b in lab.api.get("/api/v2/backfills", dag_id=EX1_DAG_ID)["backfills"]}
    result = lab.airflow(*words[1:], timeout=300)
    new = [
        b
        for b in lab.api.get("/api/v2/backfills", dag_id=EX1_DAG_ID, limit=100)["backfills"]
        if b["id"] not in before
    ]
    if result.returncode != 0 or not new:
        seen["cli_error"] = result.tail(3).strip() or f"exit {result.returncode}"
        return seen
    backfill = new[-1]
    lab.api.set_paused(EX1_DAG_ID, False)  # backfill runs start only while the DAG is unpaused
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        runs = lab.api.dag_runs(EX1_DAG_ID, run_type="backfill", limit=100)
        if all(r["state"] in ("success", "failed") for r in runs):
            break
        time.sleep(1)
    lab.api.set_paused(EX1_DAG_ID, True)
    runs = lab.sql(
        "SELECT logical_date::date AS day, run_type, state FROM dag_run WHERE dag_id = %s "
        "ORDER BY logical_date",
        (EX1_DAG_ID,),
        database="airflow",
    )
    skipped = lab.sql(
        "SELECT logical_date::date AS day, exception_reason FROM backfill_dag_run "
        "WHERE backfill_id = %s AND exception_reason IS NOT NULL",
        (backfill["id"],),
        database="airflow",
    )
    stored = lab.sql(f"SELECT day, count(*) AS n FROM {EX1_TABLE} GROUP BY day")
    seen.update(
        runs={r.day: (r.run_type, r.state) for r in runs.itertuples()},
        skipped={r.day: r.exception_reason for r in skipped.itertuples()},
        stored={r.day: int(r.n) for r in stored.itertuples()},
    )
    return seen


def _day(d: date) -> str:
    return f"{d:%a %m-%d}"


def _per_day(seen: dict) -> str:
    days = sorted(set(seen["runs"]) | set(EX1_WEEK))
    parts = []
    for d in days:
        run_type, state = seen["runs"].get(d, ("no run", ""))
        parts.append(f"{_day(d)}: {run_type} {state}, {seen['stored'].get(d, 0)} row(s)")
    return "; ".join(parts)


def _week_done(seen: dict) -> bool:
    return all(
        seen["runs"].get(d, ("", ""))[1] == "success" and seen["stored"].get(d) == 1
        for d in EX1_WEEK
    )


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "section 4: the Airflow 3 command that creates a backfill, which ends of its date "
        "range are inclusive, and what it does with days that already have a run",
        "the week runs from Monday to Sunday, both included. Wednesday already has a run, "
        "a failed one: by default a backfill leaves such a day alone (see the table of "
        "section 4 for the flag that redoes failed days)",
    ),
    observe=backfill_week,
    right=lambda seen: (
        "runs" in seen and _week_done(seen) and not [d for d in seen["runs"] if d not in EX1_WEEK]
    ),
    mistakes=[
        Mistake(lambda seen: seen["import_error"], "{import_error}"),
        Mistake(
            lambda seen: seen["cli_error"],
            "Airflow created no backfill; the command said:\n{cli_error}",
            fix="section 4 shows the command group and its flags; "
            "`airflow backfill create --help` lists them",
        ),
        Mistake(
            lambda seen: EX1_FAILED_DAY in seen["skipped"],
            lambda seen: (
                f"the backfill skipped {_day(EX1_FAILED_DAY)}: backfill_dag_run says "
                f"{seen['skipped'][EX1_FAILED_DAY]!r}, so its failed run stays failed. "
                f"Per day: {_per_day(seen)}"
            ),
            fix="tell the backfill what to do with days whose run failed (section 4's table)",
        ),
        Mistake(
            lambda seen: [d for d in seen["runs"] if d not in EX1_WEEK],
            lambda seen: (
                "the backfill made runs outside the week: "
                f"{[_day(d) for d in seen['runs'] if d not in EX1_WEEK]}. Per day: {_per_day(seen)}"
            ),
            fix="both --from-date and --to-date are inclusive",
        ),
        Mistake(
            lambda seen: [d for d in EX1_WEEK if d not in seen["runs"]],
            lambda seen: (
                "some days of the week have no run: "
                f"{[_day(d) for d in EX1_WEEK if d not in seen['runs']]}. Per day: {_per_day(seen)}"
            ),
            fix="both --from-date and --to-date are inclusive",
        ),
    ],
    explain=lambda seen: f"not every day has one successful run and one row: {_per_day(seen)}",
    success=lambda seen: (
        f"one successful run and one stored row per day, the failed Wednesday "
        f"redone: {_per_day(seen)}"
    ),
)


EX2_DAG_ID = "ex08_2_weekday_mornings"
EX2_FILE = f"{EX2_DAG_ID}.py"
#: The runs the scheduler plans after this instant (a Friday noon) are compared.
EX2_FROM = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
EX2_WANTED = [
    datetime(2024, 3, d, 6, 30, tzinfo=UTC) for d in (4, 5, 6, 7, 8, 11, 12)
]  # Mon-Fri 06:30, then the next Monday and Tuesday


def planned_runs(source: str, lab: Any) -> dict:
    """Parse the DAG; ask the scheduler's timetable for its next runs after ``EX2_FROM``."""
    from airflow.timetables.base import TimeRestriction

    parsed = observe.parse_serialized(lab, EX2_FILE, source, EX2_DAG_ID)
    if parsed.import_error or parsed.missing:
        return {"problem": parsed.describe(), "planned": []}
    lab.api.set_paused(EX2_DAG_ID, True)  # nothing of it needs to run
    dag = parsed.dag  # deserialized from the row of exactly this source
    restriction = TimeRestriction(earliest=EX2_FROM, latest=None, catchup=True)
    planned, last = [], None
    for _ in range(len(EX2_WANTED)):
        info = dag.timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
        if info is None:
            break
        planned.append(info.run_after.astimezone(UTC))
        last = info.data_interval
    return {
        "problem": None,
        "planned": planned,
        "timetable": type(dag.timetable).__name__,
        "summary": dag.timetable.summary,
    }


def _planned(seen: dict) -> str:
    return ", ".join(f"{d:%a %m-%d %H:%M}" for d in seen["planned"]) or "no runs"


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "sections 1 and 2: `schedule=` takes a cron expression, which becomes a timetable "
        "the scheduler reads from the serialized DAG",
        "a cron expression has five fields: minute, hour, day of month, month, day of week "
        "(0 or 7 is Sunday, ranges like a-b are allowed). Times are UTC when start_date is.",
    ),
    observe=planned_runs,
    right=lambda seen: seen["planned"] == EX2_WANTED,
    mistakes=[
        Mistake(lambda seen: seen["problem"], "{problem}"),
        Mistake(
            lambda seen: any(d.weekday() >= 5 for d in seen["planned"]),
            lambda seen: (
                f"the scheduler's {seen['timetable']} ({seen['summary']}) plans runs "
                f"on a weekend: {_planned(seen)}"
            ),
            fix="check the day-of-week field",
        ),
        Mistake(
            lambda seen: any((d.hour, d.minute) != (6, 30) for d in seen["planned"]),
            lambda seen: (
                f"the scheduler's {seen['timetable']} ({seen['summary']}) plans runs "
                f"at other times: {_planned(seen)}"
            ),
            fix="check the minute and hour fields, and that the times are UTC",
        ),
    ],
    explain=lambda seen: f"the scheduler plans {_planned(seen)} ({seen.get('summary')})",
    success=lambda seen: (
        f"the scheduler's {seen['timetable']} ({seen['summary']}) plans {_planned(seen)}"
    ),
)


def _timestamp(answer: Any):
    import pandas as pd

    try:
        ts = pd.Timestamp(answer)
    except (TypeError, ValueError):
        return None
    if ts is pd.NaT:
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def data_interval_end(answer: Any, lab: Any) -> dict:
    from airflow.timetables.base import TimeRestriction

    dag = scheduler_dag(lab)
    info = dag.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=EXERCISE_3_LOGICAL_DATE, latest=None, catchup=True),
    )
    return {"given": _timestamp(answer), "end": _timestamp(info.data_interval.end)}


exercise_3 = Exercise(
    "exercise_3",
    answer=(str, datetime),
    hints=(
        "section 2.1: which timetable `@daily` became on Airflow 3.3, and what interval it "
        "gives a run",
        "ask the timetable of the DAG the scheduler holds (section 2) for the run whose "
        "earliest date is that day; or reason from the table of section 2.1",
    ),
    observe=data_interval_end,
    right=lambda seen: seen["given"] is not None and seen["given"] == seen["end"],
    mistakes=[
        Mistake(
            lambda seen: seen["given"] is None,
            "could not read the answer as a date and time",
            fix="answer a string like '2021-01-01T00:00:00+00:00' or a datetime",
        ),
        Mistake(
            lambda seen: seen["given"] == seen["end"] + timedelta(days=1),
            "that is Airflow 2's answer: its CronDataIntervalTimetable gave the run of D the "
            "interval [D, D+1 day)",
            fix="this stack's @daily is a CronTriggerTimetable (section 2.1)",
        ),
    ],
    explain=lambda seen: (
        f"{seen['given'].isoformat()} is not the data interval end the DAG's "
        f"timetable gives the run of {EXERCISE_3_LOGICAL_DATE:%Y-%m-%d}"
    ),
    success=lambda seen: (
        f"{seen['end'].isoformat()}: on Airflow 3.3 `@daily` is a "
        "CronTriggerTimetable, so the run's data interval is an instant, not a whole day"
    ),
)
