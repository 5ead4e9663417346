"""Checkers for notebook 07 · The whole pipeline.

Every answer is compared with what the REST API says now about ``nft-pipeline``'s
DagRuns and task instances.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.checks import exercise, expect, passed

DAG_ID = "nft-pipeline"


def _needs_lab(lab: Any, name: str) -> None:
    expect(lab is not None, "this check needs the live lab", f"call nb07.{name}(answer, lab=lab)")


def successful_runs(lab: Any, limit: int = 10) -> list[dict]:
    """The latest successful DagRuns, newest end first (``GET .../dagRuns?state=success``)."""
    return lab.api.dag_runs(DAG_ID, state="success", order_by="-end_date", limit=limit)


@exercise(
    "lab.api.dag_runs('nft-pipeline', state='success', order_by='-end_date', limit=1)[0]['dag_run_id']"
)
def exercise_1(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, str),
        f"`answer` should be a run id (a string), got {type(answer).__name__}",
        "the run id looks like 'manual__2026-01-01T10:00:00.123456+00:00'",
    )
    _needs_lab(lab, "exercise_1")
    runs = successful_runs(lab, 50)
    expect(
        bool(runs), f"{DAG_ID} has no successful run yet", "run the notebook's trigger cell first"
    )
    by_end = runs[0]["dag_run_id"]
    by_date = max(runs, key=lambda r: r.get("logical_date") or r["run_after"])["dag_run_id"]
    ids = {r["dag_run_id"] for r in runs}
    expect(
        answer.strip() in ids,
        f"{answer!r} is not the id of a successful {DAG_ID} run",
        "copy the dag_run_id field, not the logical date or the UI URL",
    )
    expect(
        answer.strip() in (by_end, by_date),
        f"{answer!r} succeeded, but a later run succeeded too: {by_end!r}",
        "sort by end_date, newest first: order_by='-end_date'",
    )
    return passed(
        f"{answer.strip()} is the last successful run; the same id names it in the REST API, "
        "the UI URL and the metastore's dag_run table."
    )


@exercise("len(lab.api.task_instances('nft-pipeline', run_id))")
def exercise_2(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int) and not isinstance(answer, bool),
        f"`answer` should be a number (an int), got {type(answer).__name__}",
    )
    _needs_lab(lab, "exercise_2")
    runs = successful_runs(lab, 1)
    expect(
        bool(runs), f"{DAG_ID} has no successful run yet", "run the notebook's trigger cell first"
    )
    count = len(lab.api.task_instances(DAG_ID, runs[0]["dag_run_id"]))
    expect(
        answer != count + 1,
        f"{answer} counts the DagRun too: it is not a task instance",
        "one task instance per task of the DAG, in each run",
    )
    expect(
        answer == count,
        f"a run of {DAG_ID} has {count} task instances, not {answer}",
        "count the rows of views.state_table(...) or of GET .../taskInstances",
    )
    return passed(
        f"{count} task instances, one per task; a rerun reuses them with a higher try_number "
        "instead of adding rows."
    )


@exercise("max(t['duration'] for t in lab.api.task_instances('nft-pipeline', run_id)), in seconds")
def exercise_3(answer: Any, lab: Any = None) -> str:
    expect(
        isinstance(answer, int | float) and not isinstance(answer, bool),
        f"`answer` should be a number of seconds, got {type(answer).__name__}",
        "take the 'duration' field (seconds, a float) of the task instances",
    )
    _needs_lab(lab, "exercise_3")
    runs = successful_runs(lab, 10)
    expect(
        bool(runs), f"{DAG_ID} has no successful run yet", "run the notebook's trigger cell first"
    )
    slowest = {}
    for run in runs:
        tis = [t for t in lab.api.task_instances(DAG_ID, run["dag_run_id"]) if t.get("duration")]
        if tis:
            top = max(tis, key=lambda t: t["duration"])
            slowest[run["dag_run_id"]] = (top["task_id"], top["duration"])
    match = [rid for rid, (_, seconds) in slowest.items() if abs(seconds - answer) <= 0.05]
    newest = runs[0]["dag_run_id"]
    total = sum(t.get("duration") or 0 for t in lab.api.task_instances(DAG_ID, newest))
    expect(
        abs(answer - total) > 0.05 or bool(match),
        f"{answer:.2f} s is the sum of all durations: the whole run, not its slowest task",
        "take the max of the durations, not their sum",
    )
    expect(
        bool(match),
        f"{answer} s is not the duration of the slowest task in any of the last "
        f"{len(runs)} successful runs",
        f"in the newest run the slowest was {slowest.get(newest, ('?', 0))[0]}: "
        "use the 'duration' field of GET .../taskInstances",
    )
    task, seconds = slowest[match[0]]
    return passed(
        f"{task} took {seconds:.2f} s, the longest of its run; most of a short task's time "
        "is starting the task process and importing its code."
    )
