"""Solutions for notebook 06d · Task 4: ``process_nft``.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06d.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations

DAG_ID = "nft-pipeline"


def _a_run_with_its_page(lab):
    """The newest DagRun in which extract_nft succeeded (section 4.3 makes one)."""
    found = lab.sql(
        "SELECT run_id FROM task_instance WHERE dag_id = %s AND task_id = 'extract_nft' "
        "AND state = 'success' AND NOT starts_with(run_id, '__airflow_temporary_run_') "
        "ORDER BY end_date DESC LIMIT 1",
        (DAG_ID,),
        database="airflow",
    )
    if len(found):
        return found["run_id"].iloc[0]
    lab.runs.wait_until_idle(DAG_ID)
    return lab.runs.trigger_and_wait(DAG_ID, conf={"limit": 5})["dag_run_id"]


def exercise_1(lab):
    """tasks test inside an existing run: the run id names it."""
    return f"airflow tasks test {DAG_ID} process_nft {_a_run_with_its_page(lab)}"


PROCESS_DAG = """\
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="ex06d_2_process_partial",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "06d", "exercise"],
):
    extract = HttpOperator(
        task_id="extract",
        http_conn_id="opensea_api",
        method="GET",
        endpoint="api/v2/collection/doodles-official/nfts",
        data={"limit": 10, "fault": "partial"},
        response_filter=lambda response: response.json(),
    )

    @task
    def process(page):
"""

BODY = """\
        by_id = {}
        for record in page["nfts"]:
            if not isinstance(record, dict) or record.get("identifier") is None:
                continue
            by_id[str(record["identifier"])] = {
                "token_id": str(record["identifier"]),
                "name": record.get("name") or "",
                "image_url": record.get("image_url") or "",
            }
        return list(by_id.values())

    process(extract.output)
"""


def exercise_2(lab):
    """Skip records without an identifier, last record wins, null text becomes ''."""
    return PROCESS_DAG + BODY


NAIVE = """\
        return [
            {"token_id": n.get("identifier"), "name": n.get("name"), "image_url": n.get("image_url")}
            for n in page["nfts"]
        ]

    process(extract.output)
"""

WRONG = {
    # a logical date no run has: Airflow makes a temporary run, and xcom_pull finds nothing
    "exercise_1": (f"airflow tasks test {DAG_ID} process_nft 2022-06-15", "no run for"),
    # every record as it comes: nulls, the record without identifier, the repeated token
    "exercise_2": (PROCESS_DAG + NAIVE, "null"),
}
