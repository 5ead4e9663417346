"""Solutions for notebook 06b · ``is_api_available``: waiting for the API with a sensor.

Each ``exercise_N(lab)`` returns an answer that ``airflow_lab.checks.nb06b.exercise_N``
accepts; ``WRONG`` holds a plausible mistake per exercise that the checker rejects,
with words its message must contain.
"""

from __future__ import annotations

HEAD = """\
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import DAG

with DAG(
    dag_id="{dag_id}",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["lab", "06b", "exercise"],{default_args}
):
"""


def exercise_1(lab):
    """429 listed as "not yet", a poke a second, a timeout far above the throttled window."""
    return HEAD.format(dag_id="ex06b_1_patient_sensor", default_args="") + (
        "    wait_for_api = HttpSensor(\n"
        '        task_id="wait_for_api",\n'
        '        http_conn_id="opensea_api",\n'
        '        endpoint="api/v2/collection/doodles-official/nfts",\n'
        '        request_params={"limit": 1},\n'
        '        response_error_codes_allowlist=["404", "429"],\n'
        "        poke_interval=1,\n"
        "        timeout=30,\n"
        "    )\n"
    )


def exercise_2(lab):
    """The plain sensor fails on each 500; two retries, a second apart, outlast two of them."""
    return HEAD.format(
        dag_id="ex06b_2_retry_sensor",
        default_args='\n    default_args={"retries": 2, "retry_delay": timedelta(seconds=1)},',
    ) + (
        "    check_api = HttpSensor(\n"
        '        task_id="check_api",\n'
        '        http_conn_id="opensea_api",\n'
        '        endpoint="api/v2/collection/doodles-official/nfts",\n'
        '        request_params={"limit": 1},\n'
        "        poke_interval=1,\n"
        "        timeout=30,\n"
        "    )\n"
    )


WRONG = {
    # the plain sensor: its default allowlist holds only 404, so the first 429 raises
    "exercise_1": (
        exercise_1(None).replace('        response_error_codes_allowlist=["404", "429"],\n', ""),
        "429",
    ),
    # one retry for two failing requests
    "exercise_2": (exercise_2(None).replace('"retries": 2', '"retries": 1'), "tries ran out"),
}
