"""Solutions for notebook 14 · Dynamic task mapping: the collection page by page.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb14.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain. The DAGs are the notebook's starters with the fix.
"""

from __future__ import annotations

ONE_TASK = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.http.hooks.http import HttpHook
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.sdk import DAG, task

NFTS = "api/v2/collection/doodles-official/nfts"
PAGE_SIZE, PAGES = 25, 4

with DAG(
    dag_id="ex14_1_pages",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "14", "exercise"],
):

    @task
    def list_cursors() -> list[str | None]:
        hook = HttpHook(method="GET", http_conn_id="opensea_api")
        cursors = [None]
        while len(cursors) < PAGES:
            query = {"limit": PAGE_SIZE, **({"next": cursors[-1]} if cursors[-1] else {})}
            cursors.append(hook.run(NFTS, data=query).json()["next"])
        return cursors

FETCH
    @task
    def store(pages) -> int:
        rows = [(row["token_id"], row["name"]) for page in pages for row in page]
        PostgresHook(postgres_conn_id="db_postgre").insert_rows(
            "ex14_1_nfts", rows, target_fields=["token_id", "name"],
            replace=True, replace_index="token_id",
        )
        return len(rows)

CALL
"""

LOOP = """\
    @task
    def fetch_page(cursors: list[str | None], page_size: int) -> list[list[dict]]:
        hook = HttpHook(method="GET", http_conn_id="opensea_api")
        pages = []
        for cursor in cursors:
            query = {"limit": page_size, **({"next": cursor} if cursor else {})}
            nfts = hook.run(NFTS, data=query).json()["nfts"]
            pages.append([{"token_id": n["identifier"], "name": n["name"]} for n in nfts])
        return pages
"""
LOOP_CALL = "    store(fetch_page(list_cursors(), page_size=PAGE_SIZE))"

MAPPED = """\
    @task
    def fetch_page(cursor: str | None, page_size: int) -> list[dict]:
        hook = HttpHook(method="GET", http_conn_id="opensea_api")
        query = {"limit": page_size, **({"next": cursor} if cursor else {})}
        nfts = hook.run(NFTS, data=query).json()["nfts"]
        return [{"token_id": n["identifier"], "name": n["name"]} for n in nfts]
"""
MAPPED_CALL = "    store(fetch_page.partial(page_size=PAGE_SIZE).expand(cursor=list_cursors()))"

POLITE = """\
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from airflow.providers.http.hooks.http import HttpHook
from airflow.sdk import DAG, task

NFTS = "api/v2/collection/doodles-official/nfts"

with DAG(
    dag_id="ex14_2_polite",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
    tags=["lab", "14", "exercise"],DAG_LIMIT
):

    @task
    def list_cursors() -> list[str | None]:
        hook = HttpHook(method="GET", http_conn_id="opensea_api")
        cursors = [None]
        while len(cursors) < 6:
            query = {"limit": 10, **({"next": cursors[-1]} if cursors[-1] else {})}
            cursors.append(hook.run(NFTS, data=query).json()["next"])
        return cursors

    @task(TASK_LIMIT)
    def fetch_page(cursor: str | None) -> int:
        query = {"limit": 10, **({"next": cursor} if cursor else {})}
        nfts = HttpHook(method="GET", http_conn_id="opensea_api").run(NFTS, data=query).json()
        time.sleep(2)  # stands for a slow answer
        return len(nfts["nfts"])

    fetch_page.expand(cursor=list_cursors())
"""


def exercise_1(lab):
    """fetch_page reads one page; mapped over the cursors, the page size given once."""
    return ONE_TASK.replace("FETCH\n", MAPPED).replace("CALL", MAPPED_CALL)


def exercise_2(lab):
    """A per-task limit: at most two fetch_page instances run at the same time."""
    return POLITE.replace("DAG_LIMIT", "").replace("TASK_LIMIT", "max_active_tis_per_dag=2")


WRONG = {
    # the starter: one task instance loops over every page
    "exercise_1": (ONE_TASK.replace("FETCH\n", LOOP).replace("CALL", LOOP_CALL), "map_index -1"),
    # max_active_runs counts runs, not the task's instances
    "exercise_2": (
        POLITE.replace("DAG_LIMIT", "\n    max_active_runs=2,").replace("(TASK_LIMIT)", ""),
        "at the same time",
    ),
}
