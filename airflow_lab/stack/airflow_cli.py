"""Run Airflow's own command line (or Python) as this lab: its config, metastore, connections.

The one place a process is started with the lab's Airflow environment: ``up`` runs
``airflow db migrate`` through it, and a notebook's ``lab.airflow(...)`` runs any
other ``airflow`` command the way a learner's terminal would after
``source .lab/airflow.env``.
"""

from __future__ import annotations

import os
import subprocess

from airflow_lab.credentials import Credentials
from airflow_lab.settings import Settings
from airflow_lab.stack.airflow_config import airflow_env, venv_bin


def run(
    settings: Settings,
    creds: Credentials,
    *args: str,
    program: str = "airflow",
    timeout: float = 300,
    executor: str = "LocalExecutor",
) -> subprocess.CompletedProcess:
    """Run ``<program> <args>`` from the kit's venv with the lab's Airflow environment."""
    env = {**os.environ, **airflow_env(settings, creds, executor=executor)}
    return subprocess.run(
        [str(venv_bin() / program), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
