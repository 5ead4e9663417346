"""Solutions for notebook 00 · Start here.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb00.exercise_N``
accepts; ``WRONG`` holds a typical mistake per exercise with words its message says.
"""

from __future__ import annotations


def exercise_1(lab):
    """The group (dags), then the verb (list): `airflow dags list`."""
    return ["dags", "list"]


def exercise_2(lab):
    """The collection /api/v2/dags, then one DAG's id."""
    return f"/api/v2/dags/{lab.settings.dag_id}"


def exercise_3(lab):
    """SimpleAuthManager reads its users from this [core] option."""
    return "simple_auth_manager_users"


WRONG = {
    "exercise_1": (["list", "dags"], "exited"),  # the verb first
    "exercise_2": ("/api/v2/dags", "whole list"),  # the collection, not the item
    "exercise_3": ("simple_auth_manager_passwords_file", "passwords file"),
}
