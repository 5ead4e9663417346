"""Shared test setup: every test talks to the test stack, never the learner's.

`make test` sets AIRFLOW_LAB_HOME=.lab-test and AIRFLOW_LAB_PORT_OFFSET=100; the
defaults below give a bare `pytest` the same separation.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("AIRFLOW_LAB_HOME", str(ROOT / ".lab-test"))
os.environ.setdefault("AIRFLOW_LAB_PORT_OFFSET", "100")
