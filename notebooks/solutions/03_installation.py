"""Solutions for notebook 03 · Installation.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb03.exercise_N``
accepts; ``WRONG`` holds a typical mistake per exercise with words its message says.
"""

from __future__ import annotations


def exercise_1(lab):
    """`db init` is gone; `db migrate` creates or upgrades the schema."""
    return "db migrate"


def exercise_2(lab):
    """Ask the lab's Airflow, as `airflow config get-value core executor` does."""
    return lab.airflow("config", "get-value", "core", "executor").output.strip().splitlines()[-1]


def exercise_3(lab):
    """The api-server replaced the web server."""
    return "api-server"


WRONG = {
    "exercise_1": ("db init", "Airflow 2 form"),  # the seed's command, removed in Airflow 3
    "exercise_2": ("SequentialExecutor", "removed it"),  # Airflow 2's default
    "exercise_3": ("webserver", "Airflow 2 command"),  # the seed's command
}
