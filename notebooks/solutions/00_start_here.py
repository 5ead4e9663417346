"""Solutions for notebook 00 · Start here.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb00.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from airflow_lab.notebook import run_shell


def _status_output(lab) -> str:
    """What `airflow-lab status` prints for this lab."""
    airflow_lab = Path(sys.executable).parent / "airflow-lab"
    env = f"AIRFLOW_LAB_HOME={lab.settings.home} COLUMNS=100 TERM=dumb"
    return run_shell(f"{env} {airflow_lab} status").output


def exercise_1(lab):
    """The api-server's row of `airflow-lab status`: service, state, pid, port, health."""
    line = next(line for line in _status_output(lab).splitlines() if "api-server" in line)
    cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
    return int(cells[3])


def exercise_2(lab):
    """Count the health cells that say exactly 'healthy'."""
    rows = [line for line in _status_output(lab).splitlines() if "│" in line]
    return sum(line.strip("│ ").split("│")[-1].strip() == "healthy" for line in rows)


def exercise_3(lab):
    """The passwords file's keys are the user names."""
    return next(iter(json.loads(lab.settings.passwords_file.read_text())))


WRONG = {
    "exercise_1": int(os.environ.get("AIRFLOW_LAB_PORT_OFFSET", "0") or 0) + 8090,  # the NFT API's
    "exercise_2": 99,
    "exercise_3": "airflow",  # the official docker-compose's user, not this lab's
}
