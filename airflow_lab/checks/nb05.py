"""Checkers for notebook 05 · The life of a DAG.

Exercise 1 reads the runs the scheduler made by itself of the learner's DAG,
exercise 2 the timestamps of a triggered run's task instances; 3 and 4 are quizzes.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe
from airflow_lab.errors import ApiError

DAG_ID = "nb05_life_of_a_dag"

SCHEDULED_FILE = "ex05_1_scheduled.py"
SCHEDULED_DAG = "ex05_1_scheduled"
WANTED_DATES = ["2024-01-01", "2024-01-02", "2024-01-03"]
#: More runs than this and the checker refuses to unpause (an open-ended catchup).
MAX_RUNS = 10


def delete_dag(lab: Any, dag_id: str) -> None:
    """``DELETE /api/v2/dags/{dag_id}``: the DAG and its runs go; the file's next parse
    brings the DAG back, paused and without runs."""
    try:
        lab.api.request("DELETE", f"/api/v2/dags/{dag_id}")
    except ApiError as e:
        if e.status != 404:
            raise


def _day(stamp: str | None) -> str:
    return (stamp or "")[:10]


def _runs_by_scheduler(source: str, lab: Any) -> dict:
    """Parse the file, guard against endless catchup, unpause, read the runs made."""
    delete_dag(lab, SCHEDULED_DAG)  # a rerun starts without the runs of the last attempt
    parsed = observe.parse_dag_file(lab, SCHEDULED_FILE, source, SCHEDULED_DAG)
    seen: dict = {
        "parsed": parsed,
        "runs": [],
        "too_many": 0,
        "schedule": None,
        "no_next": False,
    }
    if parsed.import_error or parsed.missing:
        return seen
    details = parsed.details
    seen["schedule"] = details.get("timetable_summary")
    if seen["schedule"] in (None, "None", "null"):
        seen["schedule"] = None
        return seen
    start = details.get("start_date")
    end = details.get("end_date")
    if details.get("catchup") and start:
        last = (
            datetime.fromisoformat(end)
            if end
            else datetime.now(datetime.fromisoformat(start).tzinfo)
        )
        days = (last - datetime.fromisoformat(start)).days + 1
        if days > MAX_RUNS:
            seen["too_many"] = days
            return seen
    if not details.get("next_dagrun_logical_date"):
        seen["no_next"] = True  # Airflow computed no run to create: unpausing would do nothing
        return seen
    lab.api.set_paused(SCHEDULED_DAG, False)
    try:
        # The scheduler creates the runs within a loop or two; then wait until they end.
        deadline = time.monotonic() + 60
        stable, last_count = 0, -1
        while time.monotonic() < deadline:
            runs = lab.api.dag_runs(SCHEDULED_DAG, order_by="logical_date")
            done = all(r["state"] in ("success", "failed") for r in runs)
            stable = stable + 1 if len(runs) == last_count and done else 0
            last_count = len(runs)
            if stable >= 4 or (len(runs) >= len(WANTED_DATES) and done and stable >= 2):
                break
            time.sleep(1)
    finally:
        lab.api.set_paused(SCHEDULED_DAG, True)
    seen["runs"] = [
        {"type": r["run_type"], "day": _day(r.get("logical_date")), "state": r["state"]}
        for r in lab.api.dag_runs(SCHEDULED_DAG, order_by="logical_date")
    ]
    return seen


def _describe_runs(seen: dict) -> str:
    if not seen["runs"]:
        return "the scheduler created no run by itself within a minute of the unpause"
    parts = [f"{r['type']} {r['day'] or '(no logical date)'} {r['state']}" for r in seen["runs"]]
    return f"the scheduler created {len(seen['runs'])} run(s): " + ", ".join(parts)


def _right_runs(seen: dict) -> bool:
    runs = seen["runs"]
    return [r["day"] for r in runs] == WANTED_DATES and all(
        r["type"] == "scheduled" and r["state"] == "success" for r in runs
    )


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "a DAG file's source; reread 'Step 3 without a trigger': a schedule, a start date, "
        "an end date and catchup decide which runs the scheduler creates by itself",
        "a daily schedule; the first day as start_date, the last as end_date (both fixed, in UTC); "
        "and catchup on, so that the scheduler fills every day between them, not only the latest",
    ),
    observe=_runs_by_scheduler,
    right=_right_runs,
    mistakes=[
        *not_parsed(SCHEDULED_DAG, lambda seen: seen["parsed"]),
        Mistake(
            lambda seen: seen["schedule"] is None,
            "Airflow parsed the DAG with schedule=None: the scheduler never creates a run of "
            "it by itself, only a trigger does",
            fix="give the DAG a schedule",
        ),
        Mistake(
            lambda seen: seen["no_next"],
            "Airflow parsed the DAG but computed no run to create (its next_dagrun_logical_date "
            "is empty): with catchup off it creates only the latest due run, and after the "
            "DAG's end_date no run is due any more",
            fix="decide whether the scheduler should fill the days between start and end",
        ),
        Mistake(
            lambda seen: seen["too_many"],
            "with catchup on and that start and end, the scheduler would create {too_many} "
            "runs at once: the checker did not unpause it",
            fix="give the DAG an end_date, so that only the three days are due",
        ),
    ],
    explain=lambda seen: (
        _describe_runs(seen) + "; the exercise wants one scheduled run for each of the three days"
    ),
    fix="compare the logical dates above with the days asked; catchup decides whether the "
    "scheduler fills the past or only makes the latest run",
    success=lambda seen: (
        _describe_runs(seen) + ", each with run_type 'scheduled': nobody triggered them"
    ),
)

# ---- exercise 2: two independent tasks, never at the same time ----
SERIAL_FILE = "ex05_2_one_at_a_time.py"
SERIAL_DAG = "ex05_2_one_at_a_time"
SERIAL_GRAPH = {
    "prepare": ["work_a", "work_b"],
    "work_a": ["report"],
    "work_b": ["report"],
    "report": [],
}
#: The DAG the learner starts from: work_a and work_b run side by side.
PARALLEL_SOURCE = '''"""ex05_2: work_a and work_b should never run at the same time (notebook 05, exercise 2)."""
from __future__ import annotations

import time
from datetime import UTC, datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG


def pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


with DAG(
    dag_id="ex05_2_one_at_a_time",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "exercise"],
):
    prepare = PythonOperator(task_id="prepare", python_callable=pause, op_args=[0.2])
    work_a = PythonOperator(task_id="work_a", python_callable=pause, op_args=[1.5])
    work_b = PythonOperator(task_id="work_b", python_callable=pause, op_args=[1.5])
    report = PythonOperator(task_id="report", python_callable=pause, op_args=[0.2])
    prepare >> [work_a, work_b] >> report
'''


def _run_serial(source: str, lab: Any) -> dict:
    parsed = observe.parse_dag_file(lab, SERIAL_FILE, source, SERIAL_DAG)
    seen: dict = {"parsed": parsed, "run": None, "overlap": None, "waited": None}
    if parsed.import_error or parsed.missing or parsed.graph != SERIAL_GRAPH:
        return seen
    run = observe.trigger_and_follow(lab, SERIAL_DAG)
    seen["run"] = run
    tis = lab.sql(
        "SELECT task_id, scheduled_dttm, start_date, end_date FROM task_instance"
        " WHERE dag_id = %s AND run_id = %s",
        (SERIAL_DAG, run.run_id),
        database="airflow",
    ).set_index("task_id")
    a, b = tis.loc["work_a"], tis.loc["work_b"]
    overlap = (min(a.end_date, b.end_date) - max(a.start_date, b.start_date)).total_seconds()
    seen["overlap"] = round(max(overlap, 0.0), 2)
    later = a if a.start_date > b.start_date else b
    seen["later"] = "work_a" if later is a else "work_b"
    seen["waited"] = round((later.start_date - later.scheduled_dttm).total_seconds(), 1)
    return seen


def _graph_changed(seen: dict) -> bool:
    parsed = seen["parsed"]
    return not parsed.import_error and not parsed.missing and parsed.graph != SERIAL_GRAPH


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "not an edge: a limit. Reread steps 4-5 and 'Who did it': what holds a task "
        "instance back in `scheduled` or `queued` until a slot is free",
        "one of the DAG's own arguments caps how many of its task instances may run at the "
        "same time; set it so that only one can",
    ),
    observe=_run_serial,
    right=lambda seen: (
        seen["run"] is not None and seen["run"].state == "success" and seen["overlap"] == 0
    ),
    mistakes=[
        *not_parsed(SERIAL_DAG, lambda seen: seen["parsed"]),
        Mistake(
            _graph_changed,
            lambda seen: (
                f"{seen['parsed'].describe()}: the graph changed, so work_a and "
                "work_b are no longer independent"
            ),
            fix="keep the dependencies as given; limit how many tasks run at once instead",
        ),
        Mistake(
            lambda seen: seen["run"] is not None and seen["run"].state != "success",
            lambda seen: seen["run"].describe(),
            fix="read the failed task's log in the UI",
        ),
    ],
    explain=lambda seen: (
        f"work_a and work_b ran side by side for {seen['overlap']} s "
        "(task_instance start_date/end_date)"
    ),
    fix="the scheduler may start both as soon as prepare is done; cap the DAG's running tasks",
    success=lambda seen: (
        f"work_a and work_b did not overlap: {seen['later']} waited "
        f"{seen['waited']} s between scheduled_dttm and start_date, for the slot the other held"
    ),
)

# ---- exercise 3: waiting for a worker (a quiz) ----
STATES = ("none", "scheduled", "queued", "running", "success")


def _normalise_state(answer: str, lab: Any) -> dict:
    return {"given": answer.strip().lower().removeprefix("taskinstancestate.")}


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "steps 4 and 5: two states come between 'None' and 'running'",
        "the first of them means 'may run', the second 'handed to the executor'",
    ),
    observe=_normalise_state,
    right=lambda seen: seen["given"] == "queued",
    mistakes=[
        Mistake(
            lambda seen: seen["given"] == "scheduled",
            "'scheduled' comes earlier: the scheduler has decided the task may run, but has "
            "not yet handed it to the executor",
            fix="once the executor has it, the task instance waits in the next state",
        ),
    ],
    explain=lambda seen: (
        f"{seen['given']!r} is not the state of a task instance the executor "
        "holds while it waits for a worker slot"
    ),
    fix="the order is None, scheduled, queued, running, success",
    success="a task instance handed to the executor is 'queued' (queued_dttm) until a worker "
    "starts it ('running', start_date)",
    needs_lab=False,
)


# ---- exercise 4: who parses DAG files? (a quiz; the job table shows it running) ----
def _normalise_component(answer: str, lab: Any) -> dict:
    name = answer.strip().lower().removeprefix("airflow").strip()
    seen = {"given": "".join(ch for ch in name if ch.isalnum()), "job": None}
    if lab is not None:
        jobs = lab.sql(
            "SELECT id FROM job WHERE job_type = 'DagProcessorJob' AND state = 'running'"
            " AND latest_heartbeat > now() - interval '1 minute' ORDER BY id DESC",
            database="airflow",
        )
        seen["job"] = None if jobs.empty else int(jobs.id[0])
    return seen


exercise_4 = Exercise(
    "exercise_4",
    answer=str,
    hints=(
        "step 2, and the job types in the `job` table (section 'Who did it')",
        "in Airflow 3 neither the scheduler nor the api-server imports DAG files",
    ),
    observe=_normalise_component,
    right=lambda seen: seen["given"] in {"dagprocessor", "dagfileprocessor"},
    mistakes=[
        Mistake(
            lambda seen: seen["given"] in {"scheduler", "webserver", "apiserver"},
            "in Airflow 3 that component never imports DAG files: it reads the serialized DAG "
            "from the metastore",
            fix="the seed's 'web server and scheduler parse' was true before Airflow 3",
        ),
    ],
    explain="{given!r} is not a component that parses DAG files",
    fix="look at step 2 and at the job types in the `job` table",
    success=lambda seen: (
        "`airflow dag-processor` parses DAG files and writes dag and "
        "serialized_dag; the scheduler and the api-server only read the metastore"
        + (f" (on this stack: job {seen['job']})" if seen["job"] else "")
    ),
)
