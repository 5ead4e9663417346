"""docker-compose.yaml, run for real: the checks of `make test-compose` (issue 13).

In file order: the one-node stack (pipeline over REST, the seed's ``tasks test``
through airflow-cli, notebooks through ``Lab.connect()``), then the celery profile.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from airflow_lab import db
from airflow_lab.settings import DAG_ID, PROJECT_ROOT

from .conftest import RESULTS, Compose

LIMIT = 20
NOTEBOOKS = ["00_start_here", "06a_connections_and_creating_table", "07_whole_pipeline"]


def served(compose: Compose, limit: int = LIMIT) -> dict[str, tuple[str, str]]:
    from airflow_lab.credentials import load_credentials

    s = compose.settings
    resp = requests.get(
        f"{s.nft_api_url}/api/v2/collection/{s.collection}/nfts",
        params={"limit": limit},
        headers={"x-api-key": load_credentials(s, create=False).nft_api_key},
        timeout=10,
    )
    resp.raise_for_status()
    return {n["identifier"]: (n["name"], n["image_url"]) for n in resp.json()["nfts"]}


def stored(compose: Compose) -> dict[str, tuple[str, str]]:
    rows = db.nft_rows(compose.settings)
    return {r.token_id: (r.name, r.image_url) for r in rows.itertuples(index=False)}


def test_every_service_is_healthy(compose: Compose) -> None:
    health = compose.health()
    assert len(health) == 6 and set(health.values()) == {"healthy"}, health
    RESULTS["healthy"] = len(health)


def test_pipeline_stores_what_the_api_served_and_a_rerun_changes_nothing(compose: Compose) -> None:
    from airflow_lab.notebook import Lab

    lab = Lab.connect()  # the compose path: no supervisor, healthy over HTTP
    lab.execute("DROP TABLE IF EXISTS nfts")
    run = lab.runs.trigger_and_wait(
        DAG_ID, conf={"limit": LIMIT}, logical_date="2023-01-01T00:00:00Z"
    )
    assert run["state"] == "success", lab.api.task_instances(DAG_ID, run["dag_run_id"])
    rows = stored(compose)
    assert rows == served(compose), "the table differs from what the NFT API served"
    lab.api.clear_run(DAG_ID, run["dag_run_id"])
    again = lab.api.wait_for_run(DAG_ID, run["dag_run_id"])
    assert again["state"] == "success"
    assert stored(compose) == rows
    RESULTS["rows"] = len(rows)


def test_seed_tasks_test_through_airflow_cli(compose: Compose) -> None:
    proc = compose.run(
        "run",
        "--rm",
        "airflow-cli",
        "airflow",
        "tasks",
        "test",
        DAG_ID,
        "creating_table",
        "2023-01-01",
        profiles=("debug",),
        record="tasks_test",
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "creating_table" in out and "success" in out.lower(), out[-4000:]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_against_the_compose_stack(compose: Compose, name: str, tmp_path: Path) -> None:
    import papermill as pm

    path = PROJECT_ROOT / "notebooks" / f"{name}.ipynb"
    try:
        pm.execute_notebook(
            str(path),
            str(tmp_path / path.name),
            cwd=str(path.parent),
            kernel_name="python3",
            progress_bar=False,
            parameters={"lab_home": str(compose.settings.home)},
        )
    except pm.PapermillExecutionError as e:
        pytest.fail(f"{path.name}, cell {e.exec_count}: {e.ename}: {e.evalue}", pytrace=False)
    RESULTS["notebooks"] = int(RESULTS["notebooks"]) + 1


def test_celery_profile_runs_the_pipeline_on_two_workers(compose: Compose) -> None:
    from airflow_lab.notebook import Lab

    t0 = time.monotonic()
    env = {"AIRFLOW_EXECUTOR": "CeleryExecutor"}
    compose.run("--profile", "celery", "up", "-d", env=env, timeout=900)
    # postgres, nft-api, 4 Airflow components, the broker, Flower and two workers.
    health = compose.wait_healthy(expected=10, profiles=("celery",))
    workers = [n for n in health if "airflow-worker" in n]
    assert len(workers) == 2, health
    print(f"compose timing: celery profile up {time.monotonic() - t0:.0f} s")
    lab = Lab.connect(quiet=True)
    lab.execute("DROP TABLE IF EXISTS nfts")  # the notebooks before loaded other pages
    run = lab.runs.trigger_and_wait(
        DAG_ID, conf={"limit": LIMIT}, logical_date="2023-01-02T00:00:00Z"
    )
    assert run["state"] == "success", lab.api.task_instances(DAG_ID, run["dag_run_id"])
    # Every task ran on one of the two workers (a container's host name is its id).
    ids = compose.run("ps", "-q", "airflow-worker", profiles=("celery",)).stdout.split()
    hosts = {t["hostname"] for t in lab.api.task_instances(DAG_ID, run["dag_run_id"])}
    assert hosts and hosts <= {i[:12] for i in ids}, (hosts, ids)
    assert stored(compose) == served(compose)
