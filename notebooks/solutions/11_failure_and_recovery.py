"""Solutions to notebook 11 · Failure and recovery.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb11.exercise_N``
accepts; ``WRONG`` holds, per exercise, a typical wrong answer and words its
checker's message must contain. The DAGs are the notebook's starters with the fix.
"""

from __future__ import annotations

FLAKY_FETCH = '''
"""Exercise 11.1: one page of the NFT API, fetched by a task that retries."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.http.operators.http import HttpOperator
from airflow.sdk import DAG

with DAG(
    "ex11_1_flaky_fetch",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "ex11"],
):
    fetch_page = HttpOperator(
        task_id="fetch_page",
        http_conn_id="opensea_api",
        method="GET",
        endpoint="api/v2/collection/doodles-official/nfts",
        data={"limit": "1"},
        extra_options={"timeout": 10},
        RETRY_POLICY
    )
'''

PATIENT_SENSOR = '''
"""Exercise 11.2: a sensor that waits for the NFT API to answer 200."""
from __future__ import annotations

from datetime import UTC, datetime

from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import DAG

with DAG(
    "ex11_2_patient_sensor",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "ex11"],
):
    wait_for_api = HttpSensor(
        task_id="wait_for_api",
        http_conn_id="opensea_api",
        endpoint="api/v2/collection/doodles-official/nfts",
        request_params={"limit": "1"},
        extra_options={"timeout": 10},
        poke_interval=1,
        timeout=30,
        mode="poke",
        ALLOWLIST
    )
'''


def exercise_1(lab):
    """Two failing requests need two retries; a short delay keeps the run quick."""
    return FLAKY_FETCH.replace(
        "RETRY_POLICY", "retries=3,\n        retry_delay=timedelta(seconds=1),"
    )


def exercise_2(lab):
    """429 joins 404 among the codes HttpSensor treats as 'poke again'."""
    return PATIENT_SENSOR.replace("ALLOWLIST", 'response_error_codes_allowlist=["404", "429"],')


def exercise_3(lab):
    return "POST /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/clear"


def exercise_4(lab):
    return "up_for_retry"


WRONG = {
    # one retry for two failures: tried twice, failed twice
    "exercise_1": (
        FLAKY_FETCH.replace(
            "RETRY_POLICY", "retries=1,\n        retry_delay=timedelta(seconds=1),"
        ),
        "was not enough",
    ),
    # the notebook's starter: HttpSensor raises on any error status but 404
    "exercise_2": (PATIENT_SENSOR.replace("ALLOWLIST", ""), "failed on the 429"),
    "exercise_3": ("PATCH /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}", "sets a run's state"),
    "exercise_4": ("queued", "comes after the wait"),
}
