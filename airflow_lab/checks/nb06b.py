"""Checkers for notebook 06b · ``is_api_available``: waiting for the API with a sensor.

Both exercises are DAG files. The checker writes the learner's source into the
learner bundle, waits for the dag-processor's parse, makes the local NFT API fail
for a few requests (``lab.nft.fault``) and triggers a run: the verdict is what
Airflow did with the sensor, read from the run's tries and the task's log.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from airflow_lab.checks import Exercise, Mistake, not_parsed, observe
from airflow_lab.waiting import poll

#: Exercise 1: the API answers 429 to this many requests before it answers 200.
THROTTLED = 4
#: Exercise 2: the API answers 500 to this many requests before it answers 200.
FAILING = 2
#: Log lines that tell a try's story.
WORTH_SHOWING = ("Poking", "Error", "Exception", "timed out", "Success", "Response check")
#: A run of an exercise DAG that has not ended after this many seconds is stopped.
DEADLINE = 90


@dataclass
class Seen:
    """What Airflow made of the learner's DAG file, and of one run of it under a fault."""

    parsed: observe.ParsedDag
    task_id: str
    run: observe.RunSeen | None = None
    #: The task's log, all tries, oldest first.
    log: list[str] = field(default_factory=list)
    #: The run did not end within DEADLINE seconds (so the checker failed it).
    stopped: bool = False
    #: The task's retry_delay in seconds, as Airflow parsed it.
    retry_delay: float | None = None

    @property
    def import_error(self) -> str | None:
        return self.parsed.import_error

    @property
    def no_task(self) -> bool:
        return not self.parsed.import_error and self.task_id not in self.parsed.tasks

    @property
    def states(self) -> list[str | None]:
        return self.run.tries_of(self.task_id) if self.run else []

    @property
    def succeeded(self) -> bool:
        return bool(self.run) and self.run.state == "success" and self.states[-1:] == ["success"]

    @property
    def pokes(self) -> int:
        return sum("Poking" in line for line in self.log)

    def logged(self, *words: str) -> bool:
        return any(word in line for line in self.log for word in words)

    def tail(self, lines: int = 3) -> str:
        interesting = [line for line in self.log if any(w in line for w in WORTH_SHOWING)]
        return "\n    ".join(interesting[-lines:])

    def story(self) -> str:
        if self.parsed.import_error or self.parsed.missing:
            return self.parsed.describe()
        if self.run is None:
            return "no run"
        tries = " -> ".join(str(s) for s in self.states) or "no try"
        stopped = f" (still running after {DEADLINE} s, so the checker failed it)" * self.stopped
        pokes = f"; {self.pokes} poke(s) in its log" if self.pokes else ""
        tail = f", the last lines:\n    {self.tail()}" if self.tail() else ""
        return (
            f"the run ended {self.run.state}{stopped}; {self.task_id}'s tries: {tries}{pokes}{tail}"
        )


def _seconds(delta: Any) -> float | None:
    """A REST TimeDelta (``{"days", "seconds", "microseconds"}``) in seconds."""
    if not isinstance(delta, dict):
        return None
    return (
        delta.get("days", 0) * 86400 + delta.get("seconds", 0) + delta.get("microseconds", 0) / 1e6
    )


def follow(lab: Any, dag_id: str, conf: dict | None = None, deadline: float = DEADLINE):
    """Trigger ``dag_id`` and read every try; a run still going after ``deadline`` is failed.

    Returns ``(RunSeen, stopped)``. Failing a run that waits too long keeps a checker
    quick and lets the next check start from a quiet DAG.
    """
    t0 = time.monotonic()
    lab.api.set_paused(dag_id, False)
    run_id = lab.api.trigger(dag_id, datetime.now(UTC).isoformat(), conf)["dag_run_id"]
    stopped = False
    try:
        poll(
            lambda: lab.runs.state(dag_id, run_id),
            lambda state: state in ("success", "failed"),
            timeout=deadline,
            interval=0.5,
            what=f"the end of {dag_id} run {run_id}",
        )
    except Exception:  # the run is still going: stop it, as a user would in the UI
        stopped = True
        lab.api.request(
            "PATCH",
            f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}",
            json={"state": "failed"},
        )
    rows = [
        (r.task_id, int(r.try_number), r.state if isinstance(r.state, str) else None)
        for r in lab.runs.tries(dag_id, run_id).itertuples(index=False)
    ]
    state = lab.runs.state(dag_id, run_id) or "unknown"
    return observe.RunSeen(dag_id, run_id, state, rows, time.monotonic() - t0), stopped


def task_log(lab: Any, run: observe.RunSeen, task_id: str) -> list[str]:
    """Every try's log of ``task_id`` in ``run``, oldest first (REST ``.../logs/{try}``)."""
    lines: list[str] = []
    for tid, number, _state in run.tries:
        if tid == task_id:
            try:
                lines += lab.api.task_log(run.dag_id, run.run_id, task_id, number).splitlines()
            except Exception:  # a try that never started has no log
                continue
    return lines


def run_under_fault(
    lab: Any,
    source: str,
    dag_id: str,
    task_id: str,
    fault: str,
    count: int,
    max_retry_delay: float | None = None,
) -> Seen:
    """Parse the learner's DAG; if it is sound, run it while the API answers ``fault``
    to the next ``count`` requests."""
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = Seen(parsed, task_id)
    if parsed.import_error or parsed.missing or task_id not in parsed.tasks:
        return seen
    if parsed.tasks[task_id].get("retries"):
        seen.retry_delay = _seconds(parsed.tasks[task_id].get("retry_delay"))
    if max_retry_delay is not None and (seen.retry_delay or 0) > max_retry_delay:
        return seen  # the checker would wait minutes: say so before any run
    # A fault counts requests: nothing else may poke the API while it is on.
    lab.runs.wait_until_idle(lab.settings.dag_id)
    lab.runs.wait_until_idle(dag_id)
    seen.run, seen.stopped, seen.log = run_once(lab, dag_id, task_id, fault, count)
    return seen


def run_once(
    lab: Any, dag_id: str, task_id: str, fault: str | None = None, count: int = 1
) -> tuple[observe.RunSeen, bool, list[str]]:
    """Trigger ``dag_id`` with ``fault`` on for ``count`` requests; read the run and the log.

    A try that failed before the task's code ran (no log: on a busy machine the
    worker can miss the api-server) says nothing about the learner's DAG: the run
    is made once more.
    """
    for _attempt in range(2):
        if fault:
            with lab.nft.fault(fault, count, retry_after=1):
                run, stopped = follow(lab, dag_id)
        else:
            run, stopped = follow(lab, dag_id)
        log = task_log(lab, run, task_id)
        # The "Pre Execute" group closes once the worker has loaded the DAG file.
        if run.state == "success" or stopped or sum("::endgroup::" in x for x in log) >= 2:
            break
    return run, stopped, log


NOT_PARSED = (
    *not_parsed(parsed=lambda s: s.parsed),
    Mistake(
        lambda s: s.no_task,
        lambda s: (
            f"Airflow parsed the DAG with tasks {sorted(s.parsed.tasks)}, but no task {s.task_id!r}"
        ),
        fix="keep the task_id the exercise names",
    ),
)

exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "a plain HttpSensor fails on an HTTP error it does not expect; section 4.3 shows "
        "the parameter that turns listed status codes into 'not yet', and section 1 how "
        "poke_interval and timeout set the rhythm and the patience",
        "compare the two sensors of SENSOR_DAG in section 4.3: the API answers 429 (Too Many "
        f"Requests) {THROTTLED} times, so list that code as a string, poke every second or "
        "two, and give the sensor a timeout well above the seconds those pokes take",
    ),
    observe=lambda source, lab: run_under_fault(
        lab, source, "ex06b_1_patient_sensor", "wait_for_api", "429", THROTTLED
    ),
    right=lambda seen: seen.succeeded,
    mistakes=(
        *NOT_PARSED,
        Mistake(
            lambda s: s.stopped,
            lambda s: f"{s.story()}\nAirflow was still waiting between pokes",
            fix="poke_interval counts seconds between pokes: make it a second or two",
        ),
        Mistake(
            lambda s: not s.succeeded and s.logged("AirflowSensorTimeout", "Sensor has timed out"),
            lambda s: f"the sensor gave up: {s.story()}",
            fix="timeout counts seconds since the first poke; the 429s last longer than that",
        ),
        Mistake(
            lambda s: not s.succeeded and s.logged("429:", "429 Client Error"),
            lambda s: f"the first 429 failed the task: {s.story()}",
            fix="a plain HttpSensor raises on any status code it does not list as 'not yet' "
            "(by default only 404): list 429",
        ),
    ),
    explain=lambda s: f"the sensor did not succeed: {s.story()}",
    success=lambda s: f"{s.story()}\nThe sensor waited out {THROTTLED} x 429 and succeeded.",
)

exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "retries: a failed try is tried again after retry_delay (a task argument, or "
        "default_args for every task); section 4.3 shows the plain sensor failing at once",
        f"the API fails {FAILING} requests, one per try of the plain sensor: the task needs "
        "that many tries beyond the first, and a retry_delay of a few seconds "
        "(a datetime.timedelta), not the default five minutes",
    ),
    observe=lambda source, lab: run_under_fault(
        lab, source, "ex06b_2_retry_sensor", "check_api", "500", FAILING, max_retry_delay=20
    ),
    right=lambda seen: seen.succeeded and len(seen.states) > 1,
    mistakes=(
        *NOT_PARSED,
        Mistake(
            lambda s: s.run is None and s.retry_delay is not None,
            lambda s: (
                f"Airflow parsed check_api with retry_delay = {s.retry_delay:.0f} s: "
                "the checker would wait that long between tries"
            ),
            fix="set retry_delay to a few seconds",
        ),
        Mistake(
            lambda s: s.succeeded and len(s.states) == 1,
            lambda s: (
                f"{s.story()}\nOne try was enough: the sensor itself treated 500 as "
                "'not yet'. That is exercise 1's way"
            ),
            fix="leave the sensor's status codes at their default and let Airflow retry the task",
        ),
        Mistake(
            lambda s: s.run is not None and s.run.state == "failed" and not s.stopped,
            lambda s: f"{s.story()}\nEach 500 failed one try, and the tries ran out first",
            fix="count the tries the task needs: one per failing request, plus the one that works",
        ),
    ),
    explain=lambda s: f"the run did not succeed by retrying: {s.story()}",
    success=lambda s: (
        f"{s.story()}\nEach 500 cost one try; Airflow retried until the API answered 200."
    ),
)
