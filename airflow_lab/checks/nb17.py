"""Checkers for notebook 17 · Deferrable operators and the triggerer.

Both exercises are DAG files, parsed in the learner bundle and run while the checker
reads the metastore: exercise 1 watches the sensor's states and the ``trigger`` table;
exercise 2 runs eight sensors beside four other tasks with ``parallelism`` 4 and
measures when those tasks got a worker slot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe

#: One row per task instance of a run, with its trigger if it has one.
STATES_SQL = """
SELECT ti.task_id, ti.state, ti.try_number, ti.next_method,
       t.id AS trigger_id, t.classpath, t.triggerer_id,
       (SELECT count(*) FROM task_instance WHERE state = 'running') AS running_tasks
FROM task_instance ti LEFT JOIN trigger t ON t.id = ti.trigger_id
WHERE ti.dag_id = %(dag_id)s AND ti.run_id = %(run_id)s
ORDER BY ti.task_id
"""

#: When each task of a run was queued and started and ended, in seconds after ``t0``.
TIMES_SQL = """
SELECT ti.dag_id, ti.task_id, ti.state,
       extract(epoch FROM ti.start_date - %(t0)s::timestamptz)::float AS started_s,
       extract(epoch FROM ti.end_date - %(t0)s::timestamptz)::float AS ended_s,
       extract(epoch FROM ti.start_date - dr.queued_at)::float AS waited_s
FROM task_instance ti JOIN dag_run dr USING (dag_id, run_id)
WHERE (ti.dag_id, ti.run_id) IN ((%(sensors)s, %(sensors_run)s), (%(work)s, %(work_run)s))
ORDER BY ti.dag_id, ti.task_id
"""


def watch(lab: Any, dag_id: str, timeout: float = 120, interval: float = 0.25):
    """Trigger ``dag_id`` and read ``STATES_SQL`` every ``interval`` s until the run ends.

    Returns ``(run_id, state, seen)``: ``seen`` holds every distinct row the query
    returned, with ``seen_at_s``, the seconds after the trigger it first appeared.
    """
    lab.api.set_paused(dag_id, False)
    run_id = lab.api.trigger(dag_id, datetime.now(UTC).isoformat(), None)["dag_run_id"]
    t0, rows, state = time.monotonic(), {}, None
    while time.monotonic() - t0 < timeout:
        frame = lab.sql(STATES_SQL, {"dag_id": dag_id, "run_id": run_id}, database="airflow")
        frame = frame.astype(object).where(frame.notna(), None)
        for row in frame.itertuples(index=False, name=None):
            rows.setdefault(row, round(time.monotonic() - t0, 2))
        state = lab.runs.state(dag_id, run_id)
        if state in ("success", "failed"):
            break
        time.sleep(interval)
    seen = pd.DataFrame(
        [(*row, at) for row, at in rows.items()], columns=[*frame.columns, "seen_at_s"]
    )
    return run_id, state, seen


def race(lab: Any, sensors: str, work: str, timeout: float = 150) -> tuple[pd.DataFrame, dict]:
    """Trigger ``sensors``; once four of its tasks have started, trigger ``work``; wait for both.

    Returns every task's times (``TIMES_SQL``, seconds after the sensors' run was
    queued) and the two run ids. The four first sensors hold the four slots of
    ``parallelism`` 4, unless they give them back.
    """
    for dag_id in (sensors, work):
        lab.api.set_paused(dag_id, False)
    sensors_run = lab.api.trigger(sensors, datetime.now(UTC).isoformat(), None)["dag_run_id"]
    started = (
        "SELECT count(*) AS n FROM task_instance WHERE dag_id = %s AND run_id = %s "
        "AND start_date IS NOT NULL"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if int(lab.sql(started, (sensors, sensors_run), database="airflow")["n"][0]) >= 4:
            break
        time.sleep(0.2)
    work_run = lab.api.trigger(work, datetime.now(UTC).isoformat(), None)["dag_run_id"]
    states = {
        dag_id: lab.runs.wait(dag_id, run_id, timeout=timeout)
        for dag_id, run_id in ((work, work_run), (sensors, sensors_run))
    }
    t0 = lab.sql(
        "SELECT queued_at FROM dag_run WHERE dag_id = %s AND run_id = %s",
        (sensors, sensors_run),
        database="airflow",
    )["queued_at"][0]
    params = {"t0": t0, "sensors": sensors, "sensors_run": sensors_run}
    params |= {"work": work, "work_run": work_run}
    times = lab.sql(TIMES_SQL, params, database="airflow")
    return times, {"runs": {sensors: sensors_run, work: work_run}, "states": states}


# ---- exercise 1: a sensor that defers ----
EX1_DAG_ID = "ex17_1_deferred_drop"
EX1_TASK = "wait_for_drop"


@dataclass
class Deferral:
    """One run of the learner's DAG, as the metastore showed it while it ran."""

    parsed: observe.ParsedDag
    state: str | None = None
    #: Every state the sensor was seen in, in order.
    states: list[str] = field(default_factory=list)
    #: The trigger classes seen holding the sensor's wait.
    triggers: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def import_error(self) -> str | None:
        return self.parsed.import_error

    @property
    def no_task(self) -> bool:
        return not self.import_error and EX1_TASK not in self.parsed.tasks

    @property
    def deferred(self) -> bool:
        return "deferred" in self.states and bool(self.triggers)

    def story(self) -> str:
        if self.import_error or self.parsed.missing:
            return self.parsed.describe()
        states = " -> ".join(self.states) or "never seen"
        trigger = f"; trigger row: {', '.join(self.triggers)}" if self.triggers else ""
        return (
            f"the run ended {self.state} after {self.seconds:.0f} s; {EX1_TASK} was seen "
            f"{states}{trigger}"
        )


def observe_deferral(source: str, lab: Any) -> Deferral:
    parsed = observe.parse_dag_file(lab, f"{EX1_DAG_ID}.py", source, EX1_DAG_ID)
    seen = Deferral(parsed)
    if parsed.import_error or parsed.missing or EX1_TASK not in parsed.tasks:
        return seen
    lab.runs.wait_until_idle(EX1_DAG_ID)
    t0 = time.monotonic()
    _run_id, seen.state, rows = watch(lab, EX1_DAG_ID)
    seen.seconds = time.monotonic() - t0
    mine = rows[rows["task_id"] == EX1_TASK].sort_values("seen_at_s")
    for state in mine["state"]:
        if isinstance(state, str) and (not seen.states or seen.states[-1] != state):
            seen.states.append(state)
    seen.triggers = sorted({c.rsplit(".", 1)[-1] for c in mine["classpath"] if isinstance(c, str)})
    return seen


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "a sensor that supports it hands its wait to the triggerer when you ask it to, "
        "with one constructor argument (sections 1 and 2)",
        "mode='reschedule' frees the slot too, but the task never enters the deferred "
        "state and no trigger row exists: look at how wait_for_drop is built in section 2",
    ),
    observe=observe_deferral,
    right=lambda s: s.deferred and s.state == "success",
    mistakes=(
        *not_parsed(parsed=lambda s: s.parsed),
        Mistake(
            lambda s: s.no_task,
            lambda s: f"Airflow parsed tasks {sorted(s.parsed.tasks)}, but no {EX1_TASK!r}",
            fix="keep the task_id the exercise names",
        ),
        Mistake(
            lambda s: "up_for_reschedule" in s.states and not s.deferred,
            lambda s: f"{s.story()}\nThe sensor went up_for_reschedule, never deferred",
            fix="rescheduling frees the slot between pokes, but the scheduler still starts "
            "a task for every poke: make the sensor defer to a trigger instead",
        ),
        Mistake(
            lambda s: not s.deferred and s.state == "success",
            lambda s: f"{s.story()}\nThe sensor kept its worker slot for the whole wait",
            fix="the sensor waited in state running: make it hand the wait to the triggerer",
        ),
    ),
    explain=lambda s: f"not yet: {s.story()}",
    success=lambda s: (
        f"{s.story()}\nThe wait went to the triggerer; no worker slot was held meanwhile."
    ),
)


# ---- exercise 2: free the slots for the other tasks ----
EX2_SENSORS = "ex17_2_eight_sensors"
EX2_WORK = "ex17_2_work"
#: The sensors wait this long after their run starts; they must not wait less.
EX2_DELTA = 10
EX2_WORK_SOURCE = '''\
"""Exercise 17-2: four small tasks that need a worker slot (written by airflow_lab.checks.nb17)."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import DAG, task

with DAG(
    dag_id="ex17_2_work",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "17", "exercise"],
):

    @task(priority_weight=10)  # first in line whenever a slot is free
    def chunk(n: int) -> int:
        return n * n

    for n in range(4):
        chunk.override(task_id=f"chunk_{n}")(n)
'''


@dataclass
class SlotRace:
    """The learner's eight sensors beside four other tasks, with parallelism 4."""

    parsed: observe.ParsedDag
    times: pd.DataFrame | None = None
    states: dict = field(default_factory=dict)

    @property
    def import_error(self) -> str | None:
        return self.parsed.import_error

    @property
    def sensors(self) -> list[str]:
        return sorted(t for t in self.parsed.tasks if t.startswith("wait_"))

    def _of(self, dag_id: str) -> pd.DataFrame:
        return self.times[self.times["dag_id"] == dag_id]

    @property
    def work_waited(self) -> float:
        return float(self._of(EX2_WORK)["waited_s"].max())

    @property
    def work_started(self) -> float:
        """When the first of the other tasks got a slot."""
        return float(self._of(EX2_WORK)["started_s"].min())

    @property
    def first_sensor_done(self) -> float:
        return float(self._of(EX2_SENSORS)["ended_s"].min())

    @property
    def slots_freed(self) -> bool:
        """Another task got a slot before any sensor ended its wait."""
        return self.work_started < self.first_sensor_done

    @property
    def sensors_waited(self) -> bool:
        return self.first_sensor_done >= EX2_DELTA - 1

    def story(self) -> str:
        if self.import_error or self.parsed.missing:
            return self.parsed.describe()
        if self.times is None:
            return f"Airflow parsed sensors {self.sensors}"
        return (
            f"runs: {self.states}; the four other tasks waited up to {self.work_waited:.1f} s "
            f"for a slot, the first started {self.work_started:.1f} s after the sensors' run "
            f"began, and the first sensor ended at {self.first_sensor_done:.1f} s"
        )


def observe_race(source: str, lab: Any) -> SlotRace:
    work = observe.parse_dag_file(lab, f"{EX2_WORK}.py", EX2_WORK_SOURCE, EX2_WORK)
    assert not work.import_error and not work.missing, work.describe()
    parsed = observe.parse_dag_file(lab, f"{EX2_SENSORS}.py", source, EX2_SENSORS)
    seen = SlotRace(parsed)
    if parsed.import_error or parsed.missing or len(seen.sensors) != 8:
        return seen
    for dag_id in (EX2_SENSORS, EX2_WORK):
        lab.runs.wait_until_idle(dag_id)
    seen.times, runs = race(lab, EX2_SENSORS, EX2_WORK)
    seen.states = runs["states"]
    return seen


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "a poking sensor keeps its worker slot while it waits; section 1's table lists the "
        "two ways a sensor gives it back, and section 4 measures one of them",
        "keep the eight sensors and their 10 s: change only how they wait, for all eight "
        "(a sensor argument, or the DAG's default_args)",
    ),
    observe=observe_race,
    right=lambda s: (
        s.times is not None
        and set(s.states.values()) == {"success"}
        and s.slots_freed
        and s.sensors_waited
    ),
    mistakes=(
        *not_parsed(parsed=lambda s: s.parsed),
        Mistake(
            lambda s: len(s.sensors) != 8,
            lambda s: f"Airflow parsed {len(s.sensors)} sensors named wait_*, not eight",
            fix="keep the eight sensors: the exercise is about how they wait",
        ),
        Mistake(
            lambda s: s.times is not None and set(s.states.values()) != {"success"},
            lambda s: f"a run did not succeed: {s.story()}",
            fix="read the sensors' log in the UI: a sensor in reschedule mode needs a "
            "poke_interval of a second or two",
        ),
        Mistake(
            lambda s: s.times is not None and not s.sensors_waited,
            lambda s: f"the sensors did not wait their {EX2_DELTA} s: {s.story()}",
            fix="keep the sensors' delta",
        ),
        Mistake(
            lambda s: s.times is not None and not s.slots_freed,
            lambda s: (
                f"{s.story()}\nNo other task got a slot before a sensor ended: the sensors "
                "held every worker slot"
            ),
            fix="make the sensors give their slot back while they wait",
        ),
    ),
    explain=lambda s: f"not yet: {s.story()}",
    success=lambda s: (
        f"{s.story()}\nThe sensors gave their slots back: the other tasks ran while they waited."
    ),
)
