"""Solutions for notebook 06a · Connections and ``creating_table``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06a.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects.
"""

from __future__ import annotations

import json


def exercise_1(lab):
    """The live table's columns, from PostgreSQL's information_schema."""
    df = lab.sql(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'nfts'"
    )
    if df.empty:  # creating_table has not run on this stack yet: make the table the DAG's way
        lab.execute(lab.dags.code("CREATE_TABLE_SQL").split('"""')[1])
        return exercise_1(lab)
    return dict(zip(df["column_name"], df["data_type"], strict=True))


def exercise_2(lab):
    """The prefix, then the connection id in upper case."""
    return "AIRFLOW_CONN_" + "my_api".upper()


def exercise_3(lab):
    """For HTTP connections the scheme lives in ``schema``."""
    return json.dumps(
        {"conn_type": "http", "host": "api.example.com", "port": 443, "schema": "https"}
    )


WRONG = {
    # SQL's usual spelling of a string type, not what PostgreSQL reports for TEXT
    "exercise_1": {"token_id": "varchar", "name": "text", "image_url": "text"},
    # the id as written in the DAG: Airflow upper-cases it
    "exercise_2": "AIRFLOW_CONN_my_api",
    # the scheme as the connection type
    "exercise_3": json.dumps({"conn_type": "https", "host": "api.example.com", "port": 443}),
}
