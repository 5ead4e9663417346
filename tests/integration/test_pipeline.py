"""nft-pipeline on the live stack, triggered through the REST API as a learner would."""

from __future__ import annotations

from airflow_lab import db
from airflow_lab.api import AirflowApi
from airflow_lab.nft_client import NftApiClient
from airflow_lab.settings import DAG_ID, Settings

from .conftest import unique_logical_date

LIMIT = 20


def served_page(lab: Settings, limit: int = LIMIT) -> list[dict]:
    resp = NftApiClient(lab).get(f"/api/v2/collection/{lab.collection}/nfts", limit=limit)
    resp.raise_for_status()
    return resp.json()["nfts"]


def stored(lab: Settings) -> dict[str, tuple[str, str]]:
    return {r.token_id: (r.name, r.image_url) for r in db.nft_rows(lab).itertuples(index=False)}


def test_run_succeeds_and_stores_exactly_what_the_api_served(
    lab: Settings, api: AirflowApi
) -> None:
    run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": LIMIT})
    assert run["state"] == "success", api.task_instances(DAG_ID, run["dag_run_id"])
    rows = stored(lab)
    for nft in served_page(lab):
        assert rows[nft["identifier"]] == (nft["name"], nft["image_url"])
    # the awkward names of the first page survive byte for byte
    assert any("," in name and '"' in name for name, _ in rows.values())
    assert any("\n" in name for name, _ in rows.values())


def test_rerun_of_the_same_logical_date_changes_no_row_count(
    lab: Settings, api: AirflowApi
) -> None:
    run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": LIMIT})
    assert run["state"] == "success"
    before = stored(lab)
    api.clear_run(DAG_ID, run["dag_run_id"])
    again = api.wait_for_run(DAG_ID, run["dag_run_id"])
    assert again["state"] == "success"
    tries = {t["task_id"]: t["try_number"] for t in api.task_instances(DAG_ID, run["dag_run_id"])}
    assert tries["store_nft"] >= 2, "the clear did not rerun store_nft"
    assert stored(lab) == before


def test_failing_api_fails_the_task_clearly_and_leaves_the_table(
    lab: Settings, api: AirflowApi
) -> None:
    api.run_dag(DAG_ID, unique_logical_date(), {"limit": LIMIT})
    before = stored(lab)
    # malformed JSON: the sensor sees 200, extract_nft cannot decode the body
    with NftApiClient(lab).fault("malformed"):
        run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 40})
    assert run["state"] == "failed"
    states = {t["task_id"]: t["state"] for t in api.task_instances(DAG_ID, run["dag_run_id"])}
    assert states["extract_nft"] == "failed"
    assert states["store_nft"] in ("upstream_failed", None)
    tries = {t["task_id"]: t["try_number"] for t in api.task_instances(DAG_ID, run["dag_run_id"])}
    log = api.task_log(DAG_ID, run["dag_run_id"], "extract_nft", tries["extract_nft"])
    assert "malformed" in log.lower() or "json" in log.lower(), log[-2000:]
    assert stored(lab) == before
