"""Checkers for notebook 11 · Failure and recovery.

The right answers are read from the live stack: the task's ``retries`` from the
REST API, the clear path and the state names from the api-server's OpenAPI
description (``GET /openapi.json``), so they follow the installed Airflow.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from airflow_lab.checks import exercise, expect, passed


def _openapi(lab: Any) -> dict:
    resp = requests.get(f"{lab.settings.api_url}/openapi.json", timeout=60)
    expect(
        resp.ok,
        f"GET /openapi.json answered {resp.status_code}",
        "is the stack up? `airflow-lab status`",
    )
    return resp.json()


@exercise(
    "lab.runs.tries(lab.settings.dag_id, run_b).query(\"task_id == 'extract_nft'\") has one row per try; "
    "or: retries (2) + the first try"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"expected a number of tries (an int), got {answer!r}",
        "len(...) of the tries' rows",
    )
    retries = int(lab.api.get("/api/v2/dags/nft-pipeline/tasks/extract_nft")["retries"])
    expect(
        answer != retries,
        f"{answer} is the number of *retries*; the first try comes before them",
        "count the rows of extract_nft in lab.runs.tries(lab.settings.dag_id, run_b)",
    )
    expect(
        answer == retries + 1,
        f"{answer} tries does not match the DAG: extract_nft has retries={retries}",
        "count the rows of extract_nft in lab.runs.tries(lab.settings.dag_id, run_b), before the clear",
    )
    return passed(
        f"retries={retries} means up to {retries + 1} tries: the first, then one per retry; "
        "only then is the task failed"
    )


def _normalise_route(text: str) -> tuple[str, str]:
    method, _, path = text.strip().partition(" ")
    path = path.strip().split("?")[0].rstrip("/")
    path = re.sub(r"\{[^}]*\}", "{}", path)  # any placeholder names
    return method.upper(), path


@exercise('"POST /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/..." — the last part is a verb')
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str) and " " in answer.strip(),
        f"expected 'METHOD /path' as a string, got {answer!r}",
        'for example "GET /api/v2/dags"',
    )
    method, path = _normalise_route(answer)
    spec = _openapi(lab)
    routes = {
        (m.upper(), re.sub(r"\{[^}]*\}", "{}", p)): p
        for p, ops in spec["paths"].items()
        for m in ops
    }
    expect(
        (method, path) in routes,
        f"the api-server has no {method} {path}",
        "compare with the paths in /openapi.json; placeholders in braces",
    )
    expect(
        path.endswith("/clear") and "/dagRuns/" in path,
        f"{method} {routes[(method, path)]} exists, but it does not clear a DagRun",
        "PATCH on a run sets its state; clearing is its own POST, under the run's path",
    )
    return passed(
        f'{method} {routes[(method, path)]} with {{"dry_run": false}} resets the run\'s task '
        "instances and queues the run again (the UI's Clear button)"
    )


@exercise(
    "look at the table of changes in section (b): which state holds a task between "
    "a try that ended in an error and the next 'queued'?"
)
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"expected a state name (a string), got {answer!r}",
        'as Airflow spells it, e.g. "running"',
    )
    state = answer.strip().lower()
    states = _openapi(lab)["components"]["schemas"]["TaskInstanceState"]["enum"]
    expect(
        state in states,
        f"{answer!r} is not a task instance state",
        f"Airflow's states: {', '.join(states)}",
    )
    expect(
        state not in ("scheduled", "queued"),
        f"'{state}' comes after the wait: once the retry delay has passed, the scheduler "
        "schedules and queues the task again",
        "which state holds it *during* the retry delay?",
    )
    expect(
        state != "up_for_reschedule",
        "up_for_reschedule is a sensor in mode='reschedule' between pokes, not a retry",
        "the waiting state for a retry has 'retry' in its name",
    )
    expect(
        state == "up_for_retry",
        f"a task waiting for its next try is not '{state}'",
        "the table of changes in section (b)",
    )
    return passed(
        "up_for_retry: the try failed, retries are left, and the task waits out retry_delay "
        "before the scheduler schedules it again"
    )
