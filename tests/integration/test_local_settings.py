"""The lab's ``airflow_local_settings.py`` on the live stack: tasks start with the
modules of the course's providers already imported, inherited from the scheduler.

A DAG file records, when it is imported, which of those modules were there before
it. In a task process that is the state the LocalExecutor worker forked with.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_lab.notebook import Lab
from airflow_lab.settings import Settings

DAG_ID = "test_preloaded_task_modules"
FILE = f"{DAG_ID}.py"
MODULES = ["airflow.providers.http.operators.http", "airflow.providers.postgres.hooks.postgres"]

SOURCE = f"""
from __future__ import annotations

import sys

# Read before anything below imports them: what the process had when this file ran.
ALREADY_IMPORTED = [m for m in {MODULES!r} if m in sys.modules]

from airflow.sdk import dag, task


@dag(dag_id="{DAG_ID}", schedule=None)
def preloaded():
    @task
    def modules_in_the_task_process() -> list[str]:
        return ALREADY_IMPORTED

    modules_in_the_task_process()


preloaded()
"""


@pytest.fixture(scope="module")
def nb_lab(lab: Settings) -> Iterator[Lab]:
    nb_lab = Lab(lab)
    nb_lab.dags.write(FILE, SOURCE, DAG_ID)
    yield nb_lab
    nb_lab.dags.remove(FILE)


def test_a_task_starts_with_the_providers_imported(nb_lab: Lab) -> None:
    run = nb_lab.runs.trigger_and_wait(DAG_ID)
    assert run["state"] == "success", run
    seen = nb_lab.api.xcom(DAG_ID, run["dag_run_id"], "modules_in_the_task_process")
    assert seen == MODULES, f"the task process had {seen} before its DAG file ran"
