"""Solutions for notebook 09 · Seed errata and migration to Airflow 3.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb09.exercise_N``
accepts; ``WRONG`` holds, per exercise, a typical wrong answer and words its
checker's message must contain. The DAGs are the notebook's starters with the fix.
"""

from __future__ import annotations

SEED_SNIPPET = '''
"""Exercise 09.1: three of the seed's tasks, written for Airflow 2.3."""
from datetime import datetime

from airflow import DAG
from airflow.operators.postgres_operator import PostgresOperator
from airflow.providers.http.operators.http import SimpleHttpOperator
from airflow.operators.python import PythonOperator


def _processing_nft(ti):
    print(ti.xcom_pull(task_ids="extract_nft"))


with DAG(
    dag_id="ex09_1_ported_seed",
    schedule_interval=None,
    start_date=datetime(2021, 1, 1),
    catchup=False,
    tags=["lab", "ex09"],
) as dag:
    creating_table = PostgresOperator(
        task_id="creating_table",
        postgres_conn_id="db_postgre",
        sql="SELECT 1",
    )
    extract_nft = SimpleHttpOperator(
        task_id="extract_nft",
        http_conn_id="opensea_api",
        endpoint="api/v2/collection/doodles-official/nfts",
        method="GET",
    )
    process_nft = PythonOperator(
        task_id="process_nft",
        python_callable=_processing_nft,
    )

    creating_table >> extract_nft >> process_nft
'''

SEED_LOAD = '''
"""Exercise 09.2: the seed's table and a one-row load, run twice with two names."""
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sdk import DAG

CREATE = """
CREATE TABLE IF NOT EXIXTS ex09_nfts (
    token_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    image_url TEXT NOT NULL
)
"""
STORE = """
INSERT INTO ex09_nfts (token_id, name, image_url)
VALUES ('3', %(name)s, 'https://nft-lab.invalid/doodles-official/3.svg')
"""

with DAG(
    "ex09_2_rerunnable_load",
    schedule=None,
    start_date=datetime(2021, 1, 1, tzinfo=UTC),
    catchup=False,
    params={"name": "Synthetic Doodle #3"},
    tags=["lab", "ex09"],
):
    creating_table = SQLExecuteQueryOperator(
        task_id="creating_table", conn_id="db_postgre", sql=CREATE
    )
    store_nft = SQLExecuteQueryOperator(
        task_id="store_nft",
        conn_id="db_postgre",
        sql=STORE,
        parameters={"name": "{{ params.name }}"},
    )

    creating_table >> store_nft
'''


def exercise_1(lab):
    """Each Airflow 2.3 name replaced by its Airflow 3 home; the graph unchanged."""
    return (
        SEED_SNIPPET.replace(
            "from datetime import datetime\n", "from datetime import UTC, datetime\n"
        )
        .replace("from airflow import DAG\n", "from airflow.sdk import DAG\n")
        .replace(
            "from airflow.operators.postgres_operator import PostgresOperator",
            "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator",
        )
        .replace("import SimpleHttpOperator", "import HttpOperator")
        .replace(
            "from airflow.operators.python import",
            "from airflow.providers.standard.operators.python import",
        )
        .replace("schedule_interval=None", "schedule=None")
        .replace("datetime(2021, 1, 1)", "datetime(2021, 1, 1, tzinfo=UTC)")
        .replace("= PostgresOperator(", "= SQLExecuteQueryOperator(")
        .replace("postgres_conn_id=", "conn_id=")
        .replace("= SimpleHttpOperator(", "= HttpOperator(")
    )


def exercise_2(lab):
    """EXISTS spelt right, and a rerun updates the row instead of hitting the primary key."""
    return SEED_LOAD.replace("EXIXTS", "EXISTS").replace(
        "/3.svg')\n",
        "/3.svg')\nON CONFLICT (token_id) DO UPDATE\n"
        "SET name = EXCLUDED.name, image_url = EXCLUDED.image_url\n",
    )


def exercise_3(lab):
    """The standard provider holds the operators Airflow 2 shipped in core."""
    return "airflow.providers.standard.operators.python"


WRONG = {
    # the imports ported, but the removed DAG argument left in
    "exercise_1": (
        SEED_SNIPPET.replace(
            "from airflow.operators.postgres_operator import PostgresOperator",
            "from airflow.providers.common.sql.operators.sql import "
            "SQLExecuteQueryOperator as PostgresOperator",
        ).replace("import SimpleHttpOperator", "import HttpOperator as SimpleHttpOperator"),
        "schedule_interval",
    ),
    # the typo fixed, the plain INSERT kept: the rerun hits the primary key
    "exercise_2": (SEED_LOAD.replace("EXIXTS", "EXISTS"), "the rerun failed"),
    "exercise_3": ("airflow.operators.python", "deprecated alias"),
}
