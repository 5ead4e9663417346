"""Solutions for notebook 02 · Architecture.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb02.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import psutil


def exercise_1(lab):
    """The scheduler's row of the supervisor's table (what `airflow-lab status` shows)."""
    return next(row.pid for row in lab.services() if row.name == "scheduler")


def exercise_2(lab):
    """Every job (scheduler, triggerer, dag-processor) updates its row's latest_heartbeat."""
    return "job"


def exercise_3(lab):
    """The scheduler's children whose command line names the LocalExecutor."""
    scheduler = psutil.Process(exercise_1(lab))
    return sum("LocalExecutor" in " ".join(child.cmdline()) for child in scheduler.children())


WRONG = {
    "exercise_1": 1,  # pid 1 is the machine's init, not the scheduler
    "exercise_2": "dag_run",  # holds run states, not heartbeats
    "exercise_3": 0,  # the executor is not a process, but its workers are
}
