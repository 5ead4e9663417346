"""Solutions for notebook 02 · Architecture.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb02.exercise_N``
accepts; ``WRONG`` holds a typical mistake per exercise with words its message says.
"""

from __future__ import annotations


def exercise_1(lab):
    """Airflow 3 parses DAG files in its own component."""
    return "airflow dag-processor"


def exercise_2(lab):
    """Every scheduler, dag-processor and triggerer heartbeats into its row of this table."""
    return "job"


def exercise_3(lab):
    """The value the running Airflow reports for [core] parallelism."""
    result = lab.airflow("config", "get-value", "core", "parallelism")
    return int(result.output.strip().splitlines()[-1])


WRONG = {
    "exercise_1": ("airflow scheduler", "no longer parses"),  # true of Airflow 2 only
    "exercise_2": ("heartbeat", "has no table"),
    "exercise_3": (32, "default"),  # Airflow's default, not this stack's
}
