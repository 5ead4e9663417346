"""Checkers for notebook 11 · Failure and recovery.

The hands-on exercises are judged by Airflow's reaction on the live stack: the
learner's DAG file is written into the learner bundle and parsed, the checker
switches one of the NFT API's faults on for a few requests, triggers a run and
reads every try of the task and the end of its log. The quizzes read the
api-server's own OpenAPI description (``GET /openapi.json``), so they follow the
installed Airflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import requests

from airflow_lab.checks import CheckFailed, Exercise, Mistake, observe

#: Each hands-on exercise's DAG (its file is ``<dag_id>.py``), and how many of the NFT
#: API's next data requests fail while it runs.
DAG_IDS = {"exercise_1": "ex11_1_flaky_fetch", "exercise_2": "ex11_2_patient_sensor"}
FAULTY_REQUESTS = {"exercise_1": 2, "exercise_2": 3}
#: Longer waits than this would make the checker (and a learner) wait for minutes.
MAX_WAIT_S = 20


@dataclass
class FaultRun:
    """A learner's DAG as Airflow parsed it, and the run it made under a fault."""

    parsed: observe.ParsedDag
    task_id: str
    fault: str
    count: int
    #: the task's arguments as the api-server reports them (retries, retry_delay ...)
    task: dict = field(default_factory=dict)
    run: observe.RunSeen | None = None
    tries: list[str | None] = field(default_factory=list)
    log: str = ""

    @property
    def state(self) -> str | None:
        return self.run.state if self.run else None

    @property
    def retries(self) -> int:
        return int(self.task.get("retries") or 0)

    @property
    def retry_delay_s(self) -> float:
        delay = self.task.get("retry_delay") or {}
        return float(delay.get("days", 0) * 86400 + delay.get("seconds", 0))

    def story(self) -> str:
        tries = " -> ".join(str(s) for s in self.tries) or "never ran"
        return (
            f"with a {self.fault} fault on the API's next {self.count} requests, the run ended "
            f"{self.state}; {self.task_id} tries: {tries}; its log ends: {self.log}"
        )


def _last_error(lab: Any, run: observe.RunSeen, task_id: str) -> str:
    """The most telling line of the task's newest try's log: an error if there is one."""
    text = observe.task_log_tail(lab, run, task_id, lines=40)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [
        line
        for line in lines
        if re.search(r"(Error|Exception|Timeout|HTTP \d{3}|\b[45]\d\d:)", line)
    ]
    return (errors or lines or ["(empty log)"])[-1][:220]


def run_under_fault(
    lab: Any, source: str, dag_id: str, task_id: str, fault: str, count: int
) -> FaultRun:
    """Parse the learner's DAG; unless it cannot run, trigger it with ``fault`` switched on."""
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = FaultRun(parsed, task_id, fault, count, task=parsed.tasks.get(task_id, {}))
    if parsed.import_error or parsed.missing or task_id not in parsed.tasks:
        return seen
    if seen.retry_delay_s > MAX_WAIT_S and seen.retries:
        return seen  # a retry would wait minutes: said before any run
    # A run of nft-pipeline (or an earlier try of this one) would use up the faulty answers.
    for busy in (lab.settings.dag_id, dag_id):
        lab.runs.wait_until_idle(busy)
    with lab.nft.fault(fault, count=count):
        seen.run = observe.trigger_and_follow(lab, dag_id, timeout=150)
    seen.tries = seen.run.tries_of(task_id)
    seen.log = _last_error(lab, seen.run, task_id)
    return seen


def _parse_problem(task_id: str):
    def message(seen: FaultRun) -> str:
        if seen.parsed.import_error or seen.parsed.missing:
            return seen.parsed.describe()
        return f"{seen.parsed.describe()}: there is no task {task_id!r} to run"

    return Mistake(
        lambda seen: (
            seen.run is None
            and (
                seen.parsed.import_error or seen.parsed.missing or task_id not in seen.parsed.tasks
            )
        ),
        message,
        fix="fix the file so that Airflow parses it, keeping the dag_id and the task_id",
    )


# ---- exercise 1: retries that outlast two HTTP 500s ----
exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "a task's retry policy: the task arguments `retries` and `retry_delay` (section "
        "'What recovery the DAG asks for', and (b) for what a retry looks like)",
        "each HTTP 500 fails one try; Airflow tries a task once plus once per retry, and waits "
        "retry_delay in up_for_retry in between: give the task enough retries for two "
        "failures, and a delay of a second or two (a timedelta)",
    ),
    observe=lambda source, lab: run_under_fault(
        lab, source, DAG_IDS["exercise_1"], "fetch_page", "500", FAULTY_REQUESTS["exercise_1"]
    ),
    right=lambda seen: seen.state == "success" and len(seen.tries) > 1,
    mistakes=[
        _parse_problem("fetch_page"),
        Mistake(
            lambda seen: seen.run is None and seen.retry_delay_s > MAX_WAIT_S,
            lambda seen: (
                f"Airflow parsed fetch_page with retries={seen.retries} and a retry_delay of "
                f"{seen.retry_delay_s:.0f} s: each retry would wait that long in up_for_retry"
            ),
            fix="a delay of a few seconds is enough for this API (retry_delay takes a timedelta)",
        ),
        Mistake(
            lambda seen: seen.state == "failed" and seen.retries == 0,
            lambda seen: (
                f"Airflow parsed fetch_page with retries=0, so one failure ended it: {seen.story()}"
            ),
            fix="give the task retries",
        ),
        Mistake(
            lambda seen: seen.state == "failed",
            lambda seen: (
                f"Airflow parsed fetch_page with retries={seen.retries}, and that was not "
                f"enough: {seen.story()}"
            ),
            fix="count the failing requests: one try each, and one more try to succeed",
        ),
        Mistake(
            lambda seen: seen.state == "success" and len(seen.tries) <= 1,
            lambda seen: (
                f"the run succeeded on the first try, so the fault never reached fetch_page: "
                f"{seen.story()}"
            ),
            fix="keep fetch_page calling the API (http_conn_id opensea_api, the v2 nfts endpoint)",
        ),
    ],
    explain=lambda seen: seen.story(),
    success=lambda seen: (
        f"fetch_page failed {len(seen.tries) - 1} time(s) on HTTP 500, waited in up_for_retry, "
        f"and succeeded on try {len(seen.tries)}: tries {' -> '.join(map(str, seen.tries))}, "
        f"with retries={seen.retries} and retry_delay {seen.retry_delay_s:.0f} s"
    ),
)


# ---- exercise 2: a sensor that outlasts a 429 window ----
exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "what a sensor's poke does with an error answer: section (a) and the sensor's check in "
        "'What recovery the DAG asks for'; HttpSensor's parameters are in the HTTP provider's "
        "documentation",
        "HttpSensor turns an error status into a failed try, except the codes it is told to "
        "treat as 'not yet' (404 by default); a 429 should mean 'poke again' within the same "
        "try. Either extend that list of codes, or have the hook return every response and "
        "decide in a response_check",
    ),
    observe=lambda source, lab: run_under_fault(
        lab, source, DAG_IDS["exercise_2"], "wait_for_api", "429", FAULTY_REQUESTS["exercise_2"]
    ),
    right=lambda seen: seen.state == "success" and seen.tries == ["success"],
    mistakes=[
        _parse_problem("wait_for_api"),
        Mistake(
            lambda seen: seen.run is None and seen.retry_delay_s > MAX_WAIT_S,
            lambda seen: (
                f"Airflow parsed wait_for_api with a retry_delay of {seen.retry_delay_s:.0f} s; "
                "the sensor should not need retries at all"
            ),
            fix="let the sensor poke again instead of failing its try",
        ),
        Mistake(
            lambda seen: seen.state == "success" and len(seen.tries) > 1,
            lambda seen: (
                "the run succeeded, but only because a retry started the sensor over: a 429 "
                f"failed a try. {seen.story()}"
            ),
            fix="make a 429 answer mean 'not yet' to the poke, within one try",
        ),
        Mistake(
            lambda seen: seen.state == "failed" and "429" in seen.log,
            lambda seen: f"the sensor's try failed on the 429 itself: {seen.story()}",
            fix="a 429 should make the poke return False (poke again), not raise",
        ),
        Mistake(
            lambda seen: seen.state == "failed" and "timeout" in seen.log.lower(),
            lambda seen: f"the sensor ran out of time before the window closed: {seen.story()}",
            fix="give the sensor a timeout longer than a few pokes at its poke_interval",
        ),
    ],
    explain=lambda seen: seen.story(),
    success=lambda seen: (
        f"wait_for_api poked through {seen.count} answers of HTTP 429 and succeeded in one try: "
        "a 429 meant 'not yet', and nothing was retried"
    ),
)


# ---- the quizzes: facts about Airflow's REST API and task states ----
def _openapi(lab: Any) -> dict:
    resp = requests.get(f"{lab.settings.api_url}/openapi.json", timeout=60)
    if not resp.ok:
        raise CheckFailed(
            f"GET /openapi.json answered {resp.status_code}", hint="`airflow-lab status`"
        )
    return resp.json()


def _placeholders(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0].rstrip("/"))


def _route(text: str, lab: Any) -> dict:
    method, _, path = text.strip().partition(" ")
    method, path = method.upper(), _placeholders(path.strip())
    routes = {
        (m.upper(), _placeholders(p)): p for p, ops in _openapi(lab)["paths"].items() for m in ops
    }
    return {"method": method, "path": path, "real": routes.get((method, path))}


exercise_3 = Exercise(
    "exercise_3",
    answer=str,
    hints=(
        "clearing a run: section (c); the api-server describes every path at /openapi.json",
        "it is a POST under the run's own path, and its last part is a verb",
    ),
    observe=lambda text, lab: _route(text, lab),
    right=lambda seen: (
        seen["real"] is not None and seen["path"].endswith("/clear") and "/dagRuns/" in seen["path"]
    ),
    mistakes=[
        Mistake(
            lambda seen: seen["real"] is None,
            "the api-server has no route {method} {path}",
            fix="compare with the paths in /openapi.json ('METHOD /path', placeholders in braces)",
        ),
        Mistake(
            lambda seen: seen["method"] == "PATCH",
            "{method} {real} sets a run's state; it does not run its tasks again",
            fix="clearing is its own POST, under the run's path",
        ),
    ],
    explain="{method} {real} exists, but it does not clear a DagRun",
    success=(
        '{method} {real} with {{"dry_run": false}} resets the run\'s task instances and queues '
        "the run again (the UI's Clear button)"
    ),
)


def _state(text: str, lab: Any) -> dict:
    states = _openapi(lab)["components"]["schemas"]["TaskInstanceState"]["enum"]
    return {"state": text.strip().lower(), "known": text.strip().lower() in states}


exercise_4 = Exercise(
    "exercise_4",
    answer=str,
    hints=(
        "the table of changes in section (b)",
        "the state between a failed try and the next 'queued' has 'retry' in its name",
    ),
    observe=lambda text, lab: _state(text, lab),
    right=lambda seen: seen["state"] == "up_for_retry",
    mistakes=[
        Mistake(
            lambda seen: not seen["known"],
            "{state!r} is not a task instance state Airflow knows",
            fix="pick one of the states in the table of section (b), spelt as Airflow spells it",
        ),
        Mistake(
            lambda seen: seen["state"] in ("scheduled", "queued"),
            "'{state}' comes after the wait: once the retry delay has passed, the scheduler "
            "schedules and queues the task again",
            fix="which state holds it *during* the retry delay?",
        ),
        Mistake(
            lambda seen: seen["state"] == "up_for_reschedule",
            "up_for_reschedule is a sensor in mode='reschedule' between pokes, not a retry",
        ),
    ],
    explain="a task waiting for its next try is not '{state}'",
    success=(
        "up_for_retry: the try failed, retries are left, and the task waits out retry_delay "
        "before the scheduler schedules it again"
    ),
)
