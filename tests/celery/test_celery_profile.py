"""The celery profile: the same pipeline, with the queue outside the executor.

The one-node pipeline tests run here too (imported below), then the multi-node
cases: tasks land on two workers with distinct host names, and a worker killed
mid-task has its task retried on the other.
"""

from __future__ import annotations

import os
import signal
import time

import psutil

from airflow_lab import db, stack
from airflow_lab.api import AirflowApi
from airflow_lab.credentials import load_credentials
from airflow_lab.settings import DAG_ID, Settings
from airflow_lab.stack import supervisor_client
from airflow_lab.waiting import wait_until
from tests.integration.conftest import unique_logical_date
from tests.integration.test_pipeline import (  # noqa: F401 - the same tests, on this stack
    test_failing_api_fails_the_task_clearly_and_leaves_the_table,
    test_rerun_of_the_same_logical_date_changes_no_row_count,
    test_run_succeeds_and_stores_exactly_what_the_api_served,
)

SLOW_DAG = """
from datetime import timedelta
import time
from airflow.sdk import DAG, task

with DAG("celery_slow", schedule=None, tags=["test"]):
    @task(retries=1, retry_delay=timedelta(seconds=1))
    def slow():
        time.sleep(25)
        return "done"

    slow()
"""


def test_broker_and_two_workers_are_healthy(lab: Settings) -> None:
    rows = {r.name: r for r in stack.status(lab)}
    for name in ("broker", "worker-1", "worker-2", "scheduler"):
        assert rows[name].healthy, rows[name]
    env = stack.run_airflow(
        lab,
        load_credentials(lab, create=False),
        "config",
        "get-value",
        "core",
        "executor",
        executor="CeleryExecutor",
    )
    assert env.stdout.strip() == "CeleryExecutor"


def test_tasks_record_which_worker_ran_them(lab: Settings, api: AirflowApi) -> None:
    run = api.run_dag(DAG_ID, unique_logical_date(), {"limit": 20})
    assert run["state"] == "success"
    hosts = db.task_instances(DAG_ID, run["dag_run_id"], lab)["hostname"]
    assert set(hosts) <= {"worker-1", "worker-2"}, set(hosts)


def test_killed_worker_task_is_retried_on_the_other(lab: Settings, api: AirflowApi) -> None:
    path = lab.learner_dags / "celery_slow.py"
    path.write_text(SLOW_DAG)
    try:
        assert wait_until(lambda: api.dag_exists("celery_slow"), 120, 1)
        api.set_paused("celery_slow", False)
        run = api.trigger("celery_slow", None)
        run_id = run["dag_run_id"]

        def running_host() -> str | None:
            ti = db.task_instances("celery_slow", run_id, lab)
            return ti["hostname"].iloc[0] if (ti["state"] == "running").any() else None

        assert wait_until(lambda: running_host() is not None, 120, 0.5)
        victim = running_host()
        proxy = supervisor_client(lab)
        pid = proxy.getProcessInfo(victim)["pid"]
        tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
        for proc in tree:  # the machine dies: worker and its task, no goodbye
            os.kill(proc.pid, signal.SIGKILL)
        proxy.stopProcess(victim, True)  # and stays down
        try:
            done = api.wait_for_run("celery_slow", run_id, timeout=240)
        finally:
            proxy.startProcess(victim, True)
        ti = db.task_instances("celery_slow", run_id, lab).iloc[0]
        assert done["state"] == "success", ti.to_dict()
        assert ti["try_number"] == 2
        assert ti["hostname"] != victim and ti["hostname"].startswith("worker-")
    finally:
        path.unlink(missing_ok=True)
        time.sleep(0)
