"""Solutions for notebook 09 · Seed errata and migration to Airflow 3.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb09.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from airflow_lab.settings import PROJECT_ROOT


def exercise_1(lab):
    """The standard provider holds the operators Airflow 2 shipped in core."""
    return "airflow.providers.standard.operators.python"


def exercise_2(lab):
    """Run the installed ruff and count its JSON findings."""
    ruff = Path(sys.executable).parent / "ruff"
    proc = subprocess.run(
        [
            str(ruff),
            "check",
            "--select",
            "AIR",
            "--no-cache",
            "--output-format",
            "json",
            "notebooks/seed/nft_pipeline_seed.py",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return len(json.loads(proc.stdout))


def exercise_3(lab):
    """IF NOT EXISTS: create once, skip afterwards."""
    return "IF NOT EXISTS"


WRONG = {
    "exercise_1": "airflow.operators.python",  # the deprecated Airflow 2 path
    "exercise_2": 5,  # only the AIR3 migration rules
    "exercise_3": "IF NOT EXIST",  # still a typo
}
