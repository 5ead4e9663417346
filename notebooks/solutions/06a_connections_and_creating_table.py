"""Solutions for notebook 06a · Connections and ``creating_table``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06a.exercise_N``
accepts; ``WRONG`` holds a typical mistake per exercise with words its message must contain.
"""

from __future__ import annotations

import json


def _nft_database(lab) -> dict:
    """The fields of the lab's own db_postgre, from the environment the lab gives Airflow."""
    from airflow_lab.stack import airflow_env

    return json.loads(airflow_env(lab.settings, lab.credentials)["AIRFLOW_CONN_DB_POSTGRE"])


def exercise_1(lab):
    """A postgres connection to the nft database: schema is the database's name."""
    conn = _nft_database(lab)
    return {key: conn[key] for key in ("conn_type", "host", "port", "login", "password", "schema")}


def exercise_2(lab):
    """`tasks test` with the run's id where the seed gave a date."""
    return f"airflow tasks test {lab.settings.dag_id} creating_table ex06a_2_run"


def exercise_3(lab):
    """Environment variables come before the metastore, on workers too."""
    return "environment variable"


def exercise_4(lab):
    """For HTTP connections the scheme lives in ``schema``."""
    return json.dumps(
        {"conn_type": "http", "host": "api.example.com", "port": 443, "schema": "https"}
    )


WRONG = {
    # `schema` read as a PostgreSQL schema, and a guessed port: the task cannot connect
    "exercise_1": (
        {"conn_type": "postgres", "host": "127.0.0.1", "port": 1, "schema": "public"},
        "ended failed",
    ),
    # the seed's date: the task runs in a temporary run, not in ex06a_2_run
    "exercise_2": ("airflow tasks test nft-pipeline creating_table 2023-01-01", "no state"),
    # the UI's view: the metastore row is what the Connections page shows
    "exercise_3": ("metastore", "not so"),
    # the scheme as the connection type
    "exercise_4": (
        json.dumps({"conn_type": "https", "host": "api.example.com", "port": 443}),
        "conn_type",
    ),
}
