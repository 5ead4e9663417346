"""``airflow_local_settings.py``: which commands load the task modules, in a fresh
interpreter each (the test process has imported half of Airflow already).

A command is known by the name Airflow's CLI passes its pre-execution callbacks: the
function that runs it. tests/integration/test_local_settings.py shows that Airflow
calls the hook and that the modules reach the task processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_lab.stack.airflow_config import LOCAL_SETTINGS_DIR

PROBE = """
import json, sys
import airflow_local_settings as local
local._load_task_modules(sub_command=sys.argv[1])
print(json.dumps({"all": local.TASK_MODULES, "loaded": [m for m in local.TASK_MODULES if m in sys.modules]}))
"""


def loaded_after(command: str, tmp_path: Path) -> dict:
    """Which task modules a fresh interpreter holds after the callback for ``command``."""
    env = {**os.environ, "PYTHONPATH": str(LOCAL_SETTINGS_DIR), "AIRFLOW_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, command],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", ["scheduler", "worker"])
def test_the_commands_that_fork_task_processes_load_them(command: str, tmp_path: Path) -> None:
    seen = loaded_after(command, tmp_path)
    assert seen["loaded"] == seen["all"]


def test_other_commands_load_nothing(tmp_path: Path) -> None:
    seen = loaded_after("dag_processor", tmp_path)
    assert seen["loaded"] == [] and seen["all"]
