"""Read-only views into the lab's two databases, as pandas tables.

The metastore is where Airflow's truth lives (DagRuns, task instances, XComs), and
the ``nft`` database is where the pipeline writes. Notebooks show both as rows, so
a learner sees the same facts the UI shows, in Airflow's own tables.
"""

from __future__ import annotations

from typing import Any

from airflow_lab.credentials import load_credentials
from airflow_lab.settings import Settings, load_settings
from airflow_lab.stack.airflow_config import metastore_url, nft_db_url


def url_of(database: str, settings: Settings):
    """The libpq URL of ``nft`` (the pipeline's data) or ``airflow`` (the metastore)."""
    creds = load_credentials(settings, create=False)
    return metastore_url(settings, creds) if database == "airflow" else nft_db_url(settings, creds)


def connect(database: str = "nft", settings: Settings | None = None):
    """An open psycopg2 connection to ``nft`` or the ``airflow`` metastore."""
    import psycopg2

    return psycopg2.connect(url_of(database, settings or load_settings()), connect_timeout=5)


def query(sql: str, params: Any = None, *, database: str = "nft", settings: Settings | None = None):
    """Run one read query and return a DataFrame."""
    import pandas as pd

    conn = connect(database, settings)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            if cur.description is None:
                return pd.DataFrame()
            columns = [c.name for c in cur.description]
            return pd.DataFrame(cur.fetchall(), columns=columns)
    finally:
        conn.close()


def execute(
    sql: str, params: Any = None, *, database: str = "nft", settings: Settings | None = None
) -> None:
    """Run one statement in its own transaction (used by resets in notebooks and tests)."""
    conn = connect(database, settings)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql, params)
    finally:
        conn.close()


def nft_rows(settings: Settings | None = None):
    """The pipeline's output table, ordered by token id as a number."""
    import pandas as pd
    from psycopg2.errors import UndefinedTable

    try:
        return query(
            "SELECT token_id, name, image_url FROM nfts ORDER BY length(token_id), token_id",
            settings=settings,
        )
    except UndefinedTable:  # creating_table has not run yet
        return pd.DataFrame(columns=["token_id", "name", "image_url"])


def table_exists(name: str, settings: Settings | None = None) -> bool:
    df = query("SELECT to_regclass(%s) IS NOT NULL AS present", (name,), settings=settings)
    return bool(df.iloc[0, 0])


def task_tries(dag_id: str, run_id: str, settings: Settings | None = None):
    """Every try of one run's task instances: earlier tries from ``task_instance_history``.

    Airflow keeps only the latest try in ``task_instance``; when a task is retried or
    cleared, the finished try is copied to ``task_instance_history`` first.
    """
    return query(
        "SELECT task_id, try_number, state, hostname, queued_dttm, start_date, end_date "
        "FROM task_instance_history WHERE dag_id = %(d)s AND run_id = %(r)s "
        "UNION ALL "
        "SELECT task_id, try_number, state, hostname, queued_dttm, start_date, end_date "
        "FROM task_instance WHERE dag_id = %(d)s AND run_id = %(r)s "
        "ORDER BY start_date NULLS LAST, try_number",
        {"d": dag_id, "r": run_id},
        database="airflow",
        settings=settings,
    )


def run_state(dag_id: str, run_id: str, settings: Settings | None = None) -> str | None:
    """A DagRun's state from the ``dag_run`` table (None if there is no such run)."""
    df = query(
        "SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s",
        (dag_id, run_id),
        database="airflow",
        settings=settings,
    )
    return str(df.state.iloc[0]) if len(df) else None


def task_instances(dag_id: str, run_id: str, settings: Settings | None = None):
    """The metastore's ``task_instance`` rows of one run, with their timestamps."""
    return query(
        "SELECT task_id, state, try_number, hostname, queued_dttm, start_date, end_date "
        "FROM task_instance WHERE dag_id = %s AND run_id = %s ORDER BY start_date NULLS LAST",
        (dag_id, run_id),
        database="airflow",
        settings=settings,
    )
