"""Checkers for notebook 15 · Assets and data-aware scheduling.

Both exercises are DAG files scheduled on assets. The checker writes the
learner's source into the learner bundle, waits for the parse, reads the
schedule Airflow holds (``asset_expression`` in ``GET /api/v2/dags/{id}/details``),
then makes the assets change the way producers do: exercise 1 triggers a
producer DAG whose ``store_nft`` has the ``nfts`` table as an outlet, exercise 2
posts asset events through ``POST /api/v2/assets/events``. It reads the DagRuns
that followed: their ``run_type`` and state, and the asset events each consumed.
"""

from __future__ import annotations

import time
from typing import Any

from airflow_lab.checks import Exercise, Mistake, observe
from airflow_lab.errors import ApiError

DAG_IDS = {"exercise_1": "ex15_1_on_nfts", "exercise_2": "ex15_2_both"}
NFTS_URI = "postgres://postgres:5432/nft/public/nfts"
PRICES_URI = "postgres://postgres:5432/nft/public/nft_prices"
#: Seconds to wait for a run that an asset event should (or should not) start.
RUN_WAIT, NO_RUN_WAIT = 20, 6

PRODUCER_ID = "ex15_1_producer"
PRODUCER = f'''\
"""The exercises' producer: store_nft declares the nfts table as its outlet."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG, Asset

NFTS_TABLE = Asset(name="nfts", uri="{NFTS_URI}")

with DAG(
    dag_id="{PRODUCER_ID}",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "15", "exercise"],
):
    SQLExecuteQueryOperator(
        task_id="store_nft",
        conn_id="db_postgre",
        sql="CREATE TABLE IF NOT EXISTS nfts "
        "(token_id TEXT PRIMARY KEY, name TEXT NOT NULL, image_url TEXT NOT NULL)",
        outlets=[NFTS_TABLE],
    )
'''


def describe_expression(expression: Any) -> str:
    """An ``asset_expression`` as Python would write it: ``nfts & nft_prices``."""
    if not expression:
        return "no asset"
    if "asset" in expression:
        return expression["asset"].get("name") or expression["asset"].get("uri")
    if "alias" in expression:
        return f"alias {expression['alias'].get('name')}"
    for key, joiner in (("all", " & "), ("any", " | ")):
        if key in expression:
            parts = [describe_expression(part) for part in expression[key]]
            return "(" + joiner.join(parts) + ")" if len(parts) > 1 else parts[0]
    return str(expression)


def _asset_names(expression: Any) -> set[str]:
    if not isinstance(expression, dict):
        return set()
    if "asset" in expression:
        return {expression["asset"].get("uri", "")}
    return set().union(*(_asset_names(p) for p in expression.get("all", expression.get("any", []))))


def _runs(lab: Any, dag_id: str) -> dict[str, dict]:
    return {r["dag_run_id"]: r for r in lab.api.dag_runs(dag_id, limit=100)}


def _new_run(lab: Any, dag_id: str, before: set[str], wait: float) -> dict | None:
    deadline = time.monotonic() + wait
    while True:
        fresh = [r for rid, r in _runs(lab, dag_id).items() if rid not in before]
        if fresh or time.monotonic() > deadline:
            return fresh[0] if fresh else None
        time.sleep(0.5)


def _consumed(lab: Any, dag_id: str, run_id: str) -> list[dict]:
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/upstreamAssetEvents"
    return lab.api.get(path)["asset_events"]


def _schedule_seen(lab: Any, source: str, dag_id: str) -> dict:
    parsed = observe.parse_dag_file(lab, f"{dag_id}.py", source, dag_id)
    seen = {"parsed": parsed, "expression": None, "schedule": "", "run": None, "early": None}
    if not (parsed.import_error or parsed.missing):
        seen["expression"] = parsed.details.get("asset_expression")
        seen["schedule"] = parsed.details.get("timetable_summary") or "None"
    seen["waits_on"] = describe_expression(seen["expression"])
    return seen


def _finish(lab: Any, dag_id: str, seen: dict, run: dict | None) -> dict:
    if run is not None:
        run = lab.api.wait_for_run(dag_id, run["dag_run_id"], timeout=120)
        seen["consumed"] = sorted({e["name"] for e in _consumed(lab, dag_id, run["dag_run_id"])})
        seen["sources"] = sorted(
            {str(e["source_dag_id"]) for e in _consumed(lab, dag_id, run["dag_run_id"])}
        )
    seen["run"] = run
    seen["run_type"] = run["run_type"] if run else None
    seen["state"] = run["state"] if run else None
    lab.api.set_paused(dag_id, True)  # later nfts events start no more runs of it
    return seen


_NOT_PARSED = Mistake(
    lambda seen: bool(seen["parsed"].import_error or seen["parsed"].missing),
    lambda seen: seen["parsed"].describe(),
    fix="fix the file so that Airflow parses it, keeping the dag_id",
)
_NO_ASSET = Mistake(
    lambda seen: not seen["expression"],
    lambda seen: (
        f"Airflow reads the schedule {seen['schedule']!r}: no asset, so an update of the "
        "nfts table starts no run"
    ),
    fix="schedule the DAG on assets instead of a time",
)


# ---- exercise 1: a consumer of the nfts table ----
def _observe_1(source: str, lab: Any) -> dict:
    dag_id = DAG_IDS["exercise_1"]
    try:
        stored = lab.api.get(f"/api/v2/dagSources/{PRODUCER_ID}").get("content", "")
    except ApiError:
        stored = ""
    if stored.strip() != PRODUCER.strip():
        observe.parse_dag_file(lab, f"{PRODUCER_ID}.py", PRODUCER, PRODUCER_ID)
    seen = _schedule_seen(lab, source, dag_id)
    if not seen["expression"]:
        return seen
    lab.api.set_paused(dag_id, False)
    before = set(_runs(lab, dag_id))
    seen["producer"] = observe.trigger_and_follow(lab, PRODUCER_ID, timeout=120).state
    return _finish(lab, dag_id, seen, _new_run(lab, dag_id, before, RUN_WAIT))


exercise_1 = Exercise(
    "exercise_1",
    answer=str,
    hints=(
        "a schedule on an asset, section 2: the consumer names the same asset that the "
        "producer's task lists in its outlets",
        "an asset is identified by its name and its URI: both must match what "
        "nft-pipeline-asset declares, and the DAG's schedule takes a list of assets",
    ),
    observe=_observe_1,
    right=lambda seen: (
        seen.get("run_type") == "asset_triggered"
        and seen.get("state") == "success"
        and PRODUCER_ID in seen.get("sources", [])
    ),
    mistakes=[
        _NOT_PARSED,
        _NO_ASSET,
        Mistake(
            lambda seen: seen.get("run") is None,
            lambda seen: (
                f"{PRODUCER_ID}'s store_nft ended {seen.get('producer')} and updated the "
                f"asset nfts ({NFTS_URI}), but no run of your DAG followed within "
                f"{RUN_WAIT} s: it waits on {seen['waits_on']} "
                f"({', '.join(sorted(_asset_names(seen['expression'])))})"
            ),
            fix="wait on the asset the producer updates: same name, same URI",
        ),
        Mistake(
            lambda seen: seen.get("state") != "success",
            lambda seen: f"a run of type {seen['run_type']} started, and ended {seen['state']}",
            fix="fix the task: the schedule itself works",
        ),
    ],
    explain=lambda seen: (
        f"a run of type {seen.get('run_type')} followed, consuming events from "
        f"{seen.get('sources')}"
    ),
    success=lambda seen: (
        f"{PRODUCER_ID} updated nfts, and Airflow started a run of your DAG with run_type "
        f"{seen['run_type']!r} that consumed the event of {seen['sources'][0]}"
    ),
)


# ---- exercise 2: both assets, not either ----
def _emit(lab: Any, uri: str) -> None:
    asset = next(a for a in lab.api.get("/api/v2/assets", limit=100)["assets"] if a["uri"] == uri)
    lab.api.request(
        "POST", "/api/v2/assets/events", json={"asset_id": asset["id"], "extra": {"by": "nb15"}}
    )


def _observe_2(source: str, lab: Any) -> dict:
    dag_id = DAG_IDS["exercise_2"]
    seen = _schedule_seen(lab, source, dag_id)
    uris = _asset_names(seen["expression"])
    seen["uris"] = sorted(uris)
    if not {NFTS_URI, PRICES_URI} <= uris:
        return seen
    try:  # events queued by an earlier attempt would count
        lab.api.request("DELETE", f"/api/v2/dags/{dag_id}/assets/queuedEvents")
    except ApiError as e:
        if e.status != 404:
            raise
    lab.api.set_paused(dag_id, False)
    before = set(_runs(lab, dag_id))
    _emit(lab, NFTS_URI)
    seen["early"] = _new_run(lab, dag_id, before, NO_RUN_WAIT)
    if seen["early"] is not None:
        return _finish(lab, dag_id, seen, seen["early"])
    _emit(lab, PRICES_URI)
    return _finish(lab, dag_id, seen, _new_run(lab, dag_id, before, RUN_WAIT))


exercise_2 = Exercise(
    "exercise_2",
    answer=str,
    hints=(
        "conditions on assets, section 5: two assets combined with an operator; one "
        "operator means 'either one', the other 'both'",
        "the same operators Python uses for 'and' and 'or' on sets combine assets in a "
        "schedule; 'both' keeps the first event queued until the second arrives",
    ),
    observe=_observe_2,
    right=lambda seen: (
        seen["early"] is None
        and seen.get("run_type") == "asset_triggered"
        and seen.get("state") == "success"
        and seen.get("consumed") == ["nft_prices", "nfts"]
    ),
    mistakes=[
        _NOT_PARSED,
        _NO_ASSET,
        Mistake(
            lambda seen: not {NFTS_URI, PRICES_URI} <= set(seen["uris"]),
            lambda seen: (
                f"your DAG waits on {seen['waits_on']} ({', '.join(seen['uris'])}); the "
                "exercise needs the two assets NFTS_TABLE and PRICES_TABLE as given"
            ),
            fix="keep the two assets of the starter and combine them",
        ),
        Mistake(
            lambda seen: seen["early"] is not None,
            lambda seen: (
                f"a run started after the nfts event alone: Airflow reads the condition "
                f"{seen['waits_on']}, which one updated asset satisfies"
            ),
            fix="ask for both assets, not either one",
        ),
        Mistake(
            lambda seen: seen.get("run") is None,
            lambda seen: (
                f"both assets had an event, and no run followed within {RUN_WAIT} s: "
                f"Airflow reads {seen['waits_on']}"
            ),
        ),
    ],
    explain=lambda seen: (
        f"the run ended {seen.get('state')} and consumed events of {seen.get('consumed')}"
    ),
    success=lambda seen: (
        f"no run after the nfts event alone; after nft_prices Airflow started a run "
        f"({seen['run_type']}) that consumed events of {seen['consumed']}: your "
        f"condition {seen['waits_on']} held only when both had changed"
    ),
)
