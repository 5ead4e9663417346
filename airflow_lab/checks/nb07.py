"""Checkers for notebook 07 · The whole pipeline.

* exercise 1 (hands-on): a retry policy. The learner's task arguments go into a
  one-task DAG that reads the NFT API; the checker makes the API answer ``500`` to
  the next requests, runs the DAG and reads every try of the task.
* exercise 2 (hands-on): a DAG whose graph has a given shape, judged by the graph
  the dag-processor parsed (``GET /api/v2/dags/{dag_id}/tasks``).
* exercise 3 (a quiz on an Airflow fact): how many task instances one run has after
  a rerun, compared with ``GET .../taskInstances``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe

DAG_ID = "nft-pipeline"

# ---- exercise 1: retries ----
EX1_DAG_ID = "ex07_1_retries"
#: How many requests in a row the NFT API answers with 500 during the check.
EX1_FAILURES = 2
#: The longest wait between tries this exercise accepts (the check waits for the run).
EX1_MAX_DELAY = timedelta(seconds=20)

EX1_TEMPLATE = '''"""Exercise 07-1: your retry policy on a task that reads the NFT API (written by airflow_lab.checks.nb07)."""

from __future__ import annotations

import datetime

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG

RETRY_POLICY = {policy}

with DAG(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["exercise", "07"],
) as dag:
    extract = HttpOperator(
        task_id="extract",
        http_conn_id="opensea_api",
        method="GET",
        endpoint="api/v2/collection/{collection}/nfts",
        data={{"limit": "5"}},
        extra_options={{"timeout": 10}},
        **RETRY_POLICY,
    )
'''


def _policy_source(policy: dict) -> str:
    items = ", ".join(f"{key!r}: {value!r}" for key, value in policy.items())
    return "{" + items + "}"


def _seconds(delay: Any) -> float:
    if isinstance(delay, dict):  # the REST API's TimeDelta
        return timedelta(
            days=delay.get("days", 0),
            seconds=delay.get("seconds", 0),
            microseconds=delay.get("microseconds", 0),
        ).total_seconds()
    return float(delay or 0)


class RetrySeen(dict):
    """What Airflow parsed from the policy and how the run went (a dict, for messages)."""

    @property
    def tries(self) -> list:
        return self.get("tries", [])


def retry_run(policy: dict, lab: Any) -> RetrySeen:
    """Parse the DAG with ``policy``; if its waits are short, run it against a failing API."""
    source = EX1_TEMPLATE.format(
        policy=_policy_source(policy), dag_id=EX1_DAG_ID, collection=lab.settings.collection
    )
    parsed = observe.parse_serialized(lab, f"{EX1_DAG_ID}.py", source, EX1_DAG_ID)
    if parsed.import_error or parsed.missing:
        return RetrySeen(import_error=parsed.describe())
    task = parsed.tasks["extract"]
    retries = int(task.get("retries") or 0)
    delay = _seconds(task.get("retry_delay"))
    seen = RetrySeen(import_error=None, retries=retries, delay=delay, failures=EX1_FAILURES)
    if retries and delay > EX1_MAX_DELAY.total_seconds():
        return seen  # not run: it would wait minutes
    lab.runs.wait_until_idle(EX1_DAG_ID)
    lab.runs.wait_until_idle(DAG_ID)  # a pipeline run would use up the faulty answers
    with lab.nft.fault("500", count=EX1_FAILURES):
        run = observe.trigger_and_follow(lab, EX1_DAG_ID, timeout=300)
    seen.update(
        state=run.state,
        tries=run.tries_of("extract"),
        n_tries=len(run.tries_of("extract")),
        described=run.describe(),
        log=observe.task_log_tail(lab, run, "extract", lines=3),
    )
    return seen


exercise_1 = Exercise(
    "exercise_1",
    answer=dict,
    hints=(
        "retrying is a task argument every operator takes from BaseOperator; the pipeline "
        "sets its retries for every task in its default_args: print(lab.dags.code('default_args'))",
        f"the API fails the first {EX1_FAILURES} requests, one request per try; the task "
        "needs enough tries after the first, and a short wait between them (a timedelta of a "
        "few seconds). The dict's keys are the operator's argument names.",
    ),
    observe=retry_run,
    right=lambda seen: seen.get("state") == "success",
    mistakes=[
        Mistake(lambda seen: seen["import_error"], "{import_error}"),
        Mistake(
            lambda seen: "state" not in seen,
            "Airflow parsed retries={retries} with a wait of {delay:.0f} s between tries: "
            "this run would wait minutes",
            fix=f"keep the wait between tries under {EX1_MAX_DELAY.total_seconds():.0f} s",
        ),
        Mistake(
            lambda seen: seen["retries"] == 0,
            "Airflow parsed the task with no retries: its only try met the API's 500 and the "
            "run {state}. Tries: {tries}",
            fix="give the task retries (hint 1 says where the pipeline sets its own)",
        ),
        Mistake(
            lambda seen: seen.get("state") != "success",
            "the task was tried {n_tries} times and the run {state}: {described}",
            fix=f"the API fails {EX1_FAILURES} requests in a row: count the tries the task needs",
        ),
    ],
    explain="the run {state}: {described}",
    success="the API failed {failures} requests; Airflow tried extract {n_tries} "
    "times ({described}) and the run succeeded",
)


# ---- exercise 2: a graph of a given shape ----
EX2_DAG_ID = "ex07_2_parallel_start"
EX2_FILE = f"{EX2_DAG_ID}.py"
EX2_EDGES = {
    ("is_api_available", "extract_nft"),
    ("extract_nft", "process_nft"),
    ("process_nft", "store_nft"),
    ("creating_table", "store_nft"),
}
EX2_TASKS = {task for edge in EX2_EDGES for task in edge}


def parse_shape(source: str, lab: Any) -> observe.ParsedDag:
    return observe.parse_serialized(lab, EX2_FILE, source, EX2_DAG_ID)


def _edges(seen: observe.ParsedDag) -> set[tuple[str, str]]:
    return set(seen.edges)


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "section 'The pipeline as one DAG': dependencies are edges between tasks, and the "
        "`>>` operator also takes a list of tasks on either side",
        "creating_table and is_api_available should have no upstream task at all; the "
        "table is needed only by the task that writes into it. Placeholder tasks that do "
        "nothing are enough (the standard provider has one).",
    ),
    observe=parse_shape,
    right=lambda seen: set(seen.graph) == EX2_TASKS and _edges(seen) == EX2_EDGES,
    mistakes=[
        Mistake(lambda seen: seen.import_error or seen.missing, lambda seen: seen.describe()),
        Mistake(
            lambda seen: set(seen.graph) != EX2_TASKS,
            lambda seen: (
                f"{seen.describe()}: the tasks should be the pipeline's five, "
                "named as in the pipeline"
            ),
        ),
        Mistake(
            lambda seen: ("creating_table", "is_api_available") in _edges(seen),
            lambda seen: f"{seen.describe()}: the API check still waits for the table",
            fix="the two first tasks do not depend on each other",
        ),
        Mistake(
            lambda seen: ("creating_table", "store_nft") not in _edges(seen),
            lambda seen: (
                f"{seen.describe()}: nothing makes store_nft wait for creating_table "
                "directly, so the load could start before the table exists"
            ),
        ),
    ],
    explain=lambda seen: f"{seen.describe()}: not the shape asked for",
    success=lambda seen: (
        f"{seen.describe()}: the API check no longer waits for the table, "
        "and the load waits for both"
    ),
)


# ---- exercise 3: a quiz ----
def task_instance_count(answer: int, lab: Any) -> dict:
    runs = lab.api.dag_runs(DAG_ID, state="success", order_by="-end_date", limit=1)
    count = len(lab.api.task_instances(DAG_ID, runs[0]["dag_run_id"])) if runs else None
    return {"answer": answer, "count": count}


exercise_3 = Exercise(
    "exercise_3",
    answer=int,
    hints=(
        "section 'A rerun that changes nothing': what a clear does to a run's task instances",
        "a task instance is one task in one run; a rerun gives it a new try number instead "
        "of a new row",
    ),
    observe=task_instance_count,
    right=lambda seen: seen["count"] is not None and seen["answer"] == seen["count"],
    mistakes=[
        Mistake(
            lambda seen: seen["count"] is None,
            f"{DAG_ID} has no successful run yet",
            fix="run the notebook's trigger cell first",
        ),
        Mistake(
            lambda seen: seen["answer"] == seen["count"] + 1,
            "{answer} counts the DagRun too: a DagRun is not a task instance",
        ),
        Mistake(
            lambda seen: seen["answer"] == 2 * seen["count"],
            "{answer} counts each try: a rerun does not add task instances",
            fix="look at the try_number column of the rerun's table",
        ),
    ],
    explain="GET .../taskInstances of the last successful run does not list {answer} task "
    "instances",
    success="{count} task instances, one per task: a rerun reuses them with a higher try_number",
)
