"""DagRuns as a notebook follows them: trigger and wait, wait, and read their tries.

Waiting reads the metastore's ``dag_run`` table, not the REST API, so a busy
api-server on a loaded laptop cannot make the wait itself time out. Every method
takes the DAG id first, like Airflow's own REST paths.
"""

from __future__ import annotations

import time
from urllib.parse import quote

from airflow_lab import db
from airflow_lab.api import AirflowApi
from airflow_lab.settings import Settings
from airflow_lab.waiting import poll

TERMINAL = ("success", "failed")


class Runs:
    """One lab's DagRuns: REST to start them, the metastore to follow them."""

    def __init__(self, settings: Settings, api: AirflowApi) -> None:
        self.settings = settings
        self.api = api

    def trigger_and_wait(
        self,
        dag_id: str,
        *,
        conf: dict | None = None,
        logical_date: str | None = None,
        timeout: float = 180,
    ) -> dict:
        """Unpause, ``POST /api/v2/dags/{dag_id}/dagRuns``, and poll until the run ends."""
        return self.api.run_dag(dag_id, logical_date, conf, timeout)

    def state(self, dag_id: str, run_id: str) -> str | None:
        """A DagRun's state, read from the metastore's ``dag_run`` table."""
        return db.run_state(dag_id, run_id, self.settings)

    def wait(self, dag_id: str, run_id: str, timeout: float = 300) -> str:
        """Poll ``dag_run`` until the run succeeds or fails; return that state."""
        return poll(
            lambda: self.state(dag_id, run_id),
            lambda state: state in TERMINAL,
            timeout=timeout,
            what=f"the end of {dag_id} run {run_id}",
        )

    def wait_until_idle(self, dag_id: str, timeout: float = 180) -> float:
        """Poll until ``dag_id`` has no queued or running DagRun; return the seconds waited.

        Call it before switching on an API fault with a ``count``: a scheduled run of
        the DAG (e.g. the one the scheduler creates right after the DAG is unpaused)
        would otherwise use up the faulty answers meant for your own command.
        """
        t0 = time.monotonic()
        poll(
            lambda: self.api.dag_runs(dag_id, state=["queued", "running"]),
            lambda active: not active,
            timeout=timeout,
            interval=0.5,
            what=f"no run of {dag_id} in progress",
            hint="see the runs in the UI, or wait and run the cell again",
            show=lambda active: f"{len(active)} run(s) in progress",
        )
        return time.monotonic() - t0

    def remove_test_runs(self, dag_id: str, logical_date: str = "2023-01-01") -> list[str]:
        """Delete the DagRuns that ``airflow tasks test <dag> <task> <logical_date>`` would reuse.

        ``tasks test`` runs the task inside an existing DagRun with that run id or logical
        date, and only creates (then deletes) a temporary one when there is none. A
        temporary run left behind by an interrupted test, or a real run on that date,
        would make the test record its state and XComs there. Removes them with
        ``DELETE /api/v2/dags/{dag_id}/dagRuns/{run_id}``; returns their run ids.
        """
        rows = db.query(
            "SELECT run_id FROM dag_run WHERE dag_id = %s AND (starts_with(run_id, "
            "'__airflow_temporary_run_') OR logical_date = %s::timestamptz)",
            (dag_id, f"{logical_date} 00:00:00+00"),
            database="airflow",
            settings=self.settings,
        )
        run_ids = list(rows["run_id"])
        for run_id in run_ids:
            self.api.request("DELETE", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")
        return run_ids

    def task_instances(self, dag_id: str, run_id: str):
        """The metastore's ``task_instance`` rows of one run (a DataFrame)."""
        return db.task_instances(dag_id, run_id, self.settings)

    def tries(self, dag_id: str, run_id: str):
        """Every try of one run's tasks (``task_instance_history`` + ``task_instance``)."""
        return db.task_tries(dag_id, run_id, self.settings)
